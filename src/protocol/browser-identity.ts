/**
 * Which browser this is, from what it says of itself (`navigator.userAgentData`, else its user
 * agent): the brand a browser is named after ("Chrome" → `chrome`), and its version. The worker
 * tells it in its hello; the server falls back to it for an extension too old to. And the names
 * the server gives: the brand's, and the next free one when taken. Pure, unit-tested.
 */

export interface BrandVersion {
  brand: string;
  version: string;
}

/** Brands as `userAgentData` spells them → as `any status` shows them. */
const SHORT_BRANDS: Record<string, string> = {
  'Google Chrome': 'Chrome',
  'Microsoft Edge': 'Edge',
  HeadlessChrome: 'Chromium',
};

/**
 * The browser's own brand: not "Chromium" when another is listed (every Chromium browser lists
 * it too), and not the deliberately meaningless "Not A;Brand" entries (GREASE).
 */
export function browserBrand(brands: readonly BrandVersion[] | undefined, userAgent: string): BrandVersion {
  const real = (brands ?? []).filter((entry) => !/not.?a.?brand/i.test(entry.brand));
  const own = real.find((entry) => entry.brand !== 'Chromium') ?? real[0];
  if (own) return { brand: SHORT_BRANDS[own.brand] ?? own.brand, version: own.version };
  const chrome = /(?:HeadlessChrome|Chrome)\/([\d.]+)/.exec(userAgent);
  const firefox = /Firefox\/([\d.]+)/.exec(userAgent);
  if (firefox) return { brand: 'Firefox', version: firefox[1]! };
  if (chrome) return { brand: 'Chromium', version: chrome[1]! };
  return { brand: 'browser', version: '' };
}

/** `Google Chrome` → `chrome`, `Edge` → `edge`: the default name of a browser of that brand. */
export function nameFor(brand: string): string {
  const slug = brand.toLowerCase().replace(/^(google|microsoft)\s+/, '').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return slug.slice(0, 56) || 'browser';
}

/** `wanted`, or `wanted-2`, `wanted-3`, …: the first name not taken (how the server numbers a taken name). */
export function freeName(wanted: string, isTaken: (name: string) => boolean): string {
  if (!isTaken(wanted)) return wanted;
  const stem = wanted.replace(/-\d+$/, '').slice(0, 56);
  for (let n = 2; ; n++) if (!isTaken(`${stem}-${n}`)) return `${stem}-${n}`;
}
