/**
 * Which browser this is, from what it says of itself (`navigator.userAgentData`): the brand the
 * server names an everyday browser after ("Chrome" → `chrome`), and its version. Pure, so the
 * rule is unit-tested without a browser.
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
  return { brand: 'Chromium', version: chrome?.[1] ?? '' };
}
