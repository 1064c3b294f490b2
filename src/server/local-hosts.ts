/**
 * The Host names the server answers to: loopback names with its port. Anything else is a
 * rebound DNS name (a foreign site resolving to 127.0.0.1), and is refused.
 */
export function allowedHosts(port: number): string[] {
  const hosts = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  if (port === 80) hosts.push('127.0.0.1', 'localhost', '[::1]'); // clients leave the default port out
  return hosts;
}

export function isAllowedHost(host: string | undefined, port: number): boolean {
  return allowedHosts(port).includes((host ?? '').toLowerCase());
}
