import fc from 'fast-check'
import { Webhook as StandardWebhook } from 'standardwebhooks'
import { Webhook as SvixWebhook } from 'svix'
import { describe, expect, it } from 'vitest'
import { signPayload } from '../../src/webhooks/sign-payload.ts'
import { newSigningSecret } from '../../src/webhooks/webhook-secret.ts'

const headers = (id: string, timestamp: number, signature: string) => ({
  'webhook-id': id,
  'webhook-timestamp': String(timestamp),
  'webhook-signature': signature,
})

describe('signPayload', () => {
  it('makes the signature the official standardwebhooks library makes for the same bytes', () => {
    const secret = newSigningSecret()
    const at = new Date()
    const seconds = Math.floor(at.getTime() / 1000)
    const body = '{"id":"0193","type":"CUSTOMER.CREATED","data":{"name":"Zoë 🎉"}}'
    expect(signPayload([secret], 'msg_1', seconds, body)).toBe(
      new StandardWebhook(secret).sign('msg_1', new Date(seconds * 1000), body),
    )
  })

  it('is verified by both standardwebhooks and svix for any body and id', () => {
    const secret = newSigningSecret()
    const standard = new StandardWebhook(secret)
    const svix = new SvixWebhook(secret)
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.uuid(), (text, id) => {
        const body = JSON.stringify({ text })
        const seconds = Math.floor(Date.now() / 1000)
        const signed = headers(id, seconds, signPayload([secret], id, seconds, body))
        expect(standard.verify(body, signed)).toEqual({ text })
        expect(() => svix.verify(body, signed)).not.toThrow()
      }),
      { numRuns: 200 },
    )
  })

  it('signs with every secret while a rotated one still signs, so a receiver holding either verifies', () => {
    const [old, current] = [newSigningSecret(), newSigningSecret()]
    const seconds = Math.floor(Date.now() / 1000)
    const body = '{"ok":true}'
    const signature = signPayload([current, old], 'msg_2', seconds, body)
    expect(signature.split(' ')).toHaveLength(2)
    for (const secret of [old, current]) {
      expect(new StandardWebhook(secret).verify(body, headers('msg_2', seconds, signature))).toEqual({ ok: true })
    }
    expect(() => new StandardWebhook(newSigningSecret()).verify(body, headers('msg_2', seconds, signature))).toThrow()
  })

  it('fails verification when a byte of the body changes', () => {
    const secret = newSigningSecret()
    const seconds = Math.floor(Date.now() / 1000)
    const signature = signPayload([secret], 'msg_3', seconds, '{"amount":"10.00"}')
    expect(() =>
      new StandardWebhook(secret).verify('{"amount":"10.01"}', headers('msg_3', seconds, signature)),
    ).toThrow()
  })
})
