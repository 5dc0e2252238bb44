import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { AllowedNetworks, addressProblem, endpointProblem, parseCidr } from '../../src/webhooks/endpoint-url.ts'

const none = new AllowedNetworks()
const loopback = new AllowedNetworks(['127.0.0.0/8', '::1/128'])

describe('endpoint URLs, with no allowed networks', () => {
  it('accepts public https URLs, by name or by public IP literal', () => {
    for (const url of [
      'https://example.com/webhooks/flex',
      'https://hooks.example.com:8443/a?b=c',
      'https://8.8.8.8/hook',
      'https://[2606:4700:4700::1111]/hook',
      'https://[::ffff:8.8.8.8]/hook',
    ]) {
      expect(endpointProblem(url, none), url).toBeUndefined()
    }
  })

  it.each([
    ['', 'absolute URL'],
    ['example.com/hook', 'absolute URL'],
    ['/relative/hook', 'absolute URL'],
    ['ftp://example.com/hook', 'https'],
    ['http://example.com/hook', 'https'],
    ['https://user:pw@example.com/hook', 'credentials'],
    ['https://user@example.com/hook', 'credentials'],
    ['https://example.com/hook#part', 'fragment'],
    [`https://example.com/${'a'.repeat(2_100)}`, 'at most 2048'],
  ])('refuses %s, saying %s', (url, words) => {
    expect(endpointProblem(url, none)).toContain(words)
  })

  it.each([
    ['https://127.0.0.1/hook', 'loopback'],
    ['https://127.1.2.3/hook', 'loopback'],
    ['https://0x7f.1/hook', 'loopback'],
    ['https://2130706433/hook', 'loopback'],
    ['https://[::1]/hook', 'loopback'],
    ['https://[::ffff:127.0.0.1]/hook', 'loopback'],
    ['https://[::ffff:7f00:1]/hook', 'loopback'],
    ['https://localhost/hook', 'loopback'],
    ['https://api.localhost/hook', 'loopback'],
    ['https://10.1.2.3/hook', 'private'],
    ['https://172.16.0.1/hook', 'private'],
    ['https://172.31.255.255/hook', 'private'],
    ['https://192.168.1.1/hook', 'private'],
    ['https://[::ffff:10.0.0.1]/hook', 'private'],
    ['https://[fc00::1]/hook', 'unique local'],
    ['https://[fd12:3456::1]/hook', 'unique local'],
    ['https://169.254.169.254/latest/meta-data', 'link-local'],
    ['https://[fe80::1]/hook', 'link-local'],
    ['https://0.0.0.0/hook', 'unspecified'],
    ['https://[::]/hook', 'unspecified'],
    ['https://100.64.0.1/hook', 'carrier-grade NAT'],
    ['https://224.0.0.1/hook', 'multicast'],
    ['https://[ff02::1]/hook', 'multicast'],
  ])('refuses the non-public host of %s (%s) and names the setting that opens it', (url, kind) => {
    const problem = endpointProblem(url, none)
    expect(problem).toContain('public address')
    expect(problem).toContain(kind)
    expect(problem).toContain('FLEX_WEBHOOK_ALLOW_NETWORKS')
  })

  it('keeps the public neighbours of the refused networks open', () => {
    for (const address of [
      '172.15.255.255',
      '172.32.0.1',
      '100.63.255.255',
      '100.128.0.1',
      '11.0.0.1',
      '169.253.0.1',
    ]) {
      expect(addressProblem(address, none), address).toBeUndefined()
    }
  })
})

describe('endpoint URLs, with allowed networks', () => {
  it('opens the listed networks, plain http included, to IP literals and localhost', () => {
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'https://127.0.0.1/hook',
      'http://[::1]:8080/hook',
      'http://[::ffff:127.0.0.1]:8080/hook',
      'http://localhost:8080/hook',
    ]) {
      expect(endpointProblem(url, loopback), url).toBeUndefined()
    }
  })

  it('keeps every other network closed, and plain http closed to anything outside them', () => {
    expect(endpointProblem('http://10.0.0.1/hook', loopback)).toContain('private')
    expect(endpointProblem('https://169.254.169.254/', loopback)).toContain('link-local')
    expect(endpointProblem('http://8.8.8.8/hook', loopback)).toContain('https')
    expect(endpointProblem('http://example.com/hook', loopback)).toContain('https')
  })

  it('checks a bare address the same way, so the delivery worker can check the address it connects to', () => {
    expect(addressProblem('127.0.0.1', none)).toContain('loopback')
    expect(addressProblem('::ffff:127.0.0.1', none)).toContain('loopback')
    expect(addressProblem('127.0.0.1', loopback)).toBeUndefined()
    expect(addressProblem('::ffff:127.0.0.1', loopback)).toBeUndefined()
    expect(addressProblem('not-an-ip', none)).toContain('not an IP address')
  })
})

describe('FLEX_WEBHOOK_ALLOW_NETWORKS', () => {
  it('reads comma-separated CIDRs, and none when unset or empty', () => {
    expect(loadConfig({ FLEX_WEBHOOK_ALLOW_NETWORKS: '127.0.0.0/8, ::1/128' }).FLEX_WEBHOOK_ALLOW_NETWORKS).toEqual([
      '127.0.0.0/8',
      '::1/128',
    ])
    expect(loadConfig({}).FLEX_WEBHOOK_ALLOW_NETWORKS).toEqual([])
    expect(loadConfig({ FLEX_WEBHOOK_ALLOW_NETWORKS: '' }).FLEX_WEBHOOK_ALLOW_NETWORKS).toEqual([])
  })

  it.each(['10.0.0.0', '10.0.0.0/33', '::1/129', 'localhost/8', '10.0.0.0/8/8', '10.0.0.0/x'])(
    'refuses %s with a message naming the variable and the form it expects',
    (value) => {
      expect(() => loadConfig({ FLEX_WEBHOOK_ALLOW_NETWORKS: `127.0.0.0/8,${value}` })).toThrow(
        /FLEX_WEBHOOK_ALLOW_NETWORKS: expected CIDRs: .*(127\.0\.0\.0\/8|prefix length is 0 to)/,
      )
    },
  )

  it('parses a CIDR as BlockList takes it', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ network: '10.0.0.0', prefix: 8, family: 'ipv4' })
    expect(parseCidr('::1/128')).toEqual({ network: '::1', prefix: 128, family: 'ipv6' })
  })
})
