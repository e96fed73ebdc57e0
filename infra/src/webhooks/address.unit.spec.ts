import { isPrivateAddress, isPrivateUrl, literalAddressOf, publicOnlyLookup } from './address';
import { retryDelayMs } from './worker';

describe('the private address guard of outbound webhooks', () => {
  it('knows loopback, private, link-local, shared, multicast and mapped addresses', () => {
    for (const address of [
      '127.0.0.1',
      '127.255.0.9',
      '10.0.0.1',
      '172.16.5.4',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fd12:3456::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
    ])
      expect([address, isPrivateAddress(address)]).toEqual([address, true]);
    for (const address of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700::1111', 'example.com'])
      expect([address, isPrivateAddress(address)]).toEqual([address, false]);
  });

  it('reads the host of a URL as written: local names and IP literals', () => {
    for (const url of [
      'http://localhost/',
      'http://LOCALHOST:8080/x',
      'http://api.localhost/',
      'http://printer.local/',
      'http://metadata.google.internal/',
      'http://[::1]:8080/',
      'http://169.254.169.254/latest',
    ])
      expect([url, isPrivateUrl(url)]).toEqual([url, true]);
    expect(isPrivateUrl('https://hooks.example.com/cschat')).toBe(false);
    expect(literalAddressOf(new URL('http://[::1]:8080/'))).toBe('::1');
    expect(literalAddressOf(new URL('http://10.0.0.1/'))).toBe('10.0.0.1');
    expect(literalAddressOf(new URL('http://example.com/'))).toBeUndefined();
  });

  it('refuses a name that resolves to a private address when connecting', async () => {
    const looked = await new Promise<{ error: Error | null; address: unknown }>((resolve) =>
      publicOnlyLookup('localhost', {}, (error, address) => resolve({ error, address })),
    );
    expect(looked.error?.message).toMatch(/localhost resolves to a private address/);
  });
});

describe('the retry schedule', () => {
  it('waits the schedule, lengthened by the jitter, then gives up', () => {
    const schedule = [10_000, 30_000, 120_000];
    expect(retryDelayMs(schedule, 1, 0.2, () => 0)).toBe(10_000);
    expect(retryDelayMs(schedule, 2, 0.2, () => 0.5)).toBe(33_000);
    expect(retryDelayMs(schedule, 3, 0.2, () => 0.999)).toBe(143_976);
    expect(retryDelayMs(schedule, 4, 0.2, () => 0)).toBeUndefined();
  });
});
