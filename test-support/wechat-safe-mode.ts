// TEST SUPPORT: WeChat's server side of safe mode (消息加解密), written straight from the published
// algorithm and apart from the adapter (gateways/src/channels/wechat.ts), so that tests check the
// adapter against an implementation that shares no code with it:
//   AESKey = base64decode(EncodingAESKey + '='), 32 bytes; IV = AESKey[0..16);
//   plaintext = random(16) ‖ uint32be(len(msg)) ‖ msg ‖ appId, PKCS#7-padded to a multiple of 32;
//   AES-256-CBC, base64; msg_signature = sha1hex(sort([token, timestamp, nonce, encrypt]).join('')).
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface SafeModeAccount {
  readonly token: string;
  readonly appId: string;
  readonly encodingAesKey: string;
}

const keyOf = (encodingAesKey: string): Buffer => {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  if (encodingAesKey.length !== 43 || key.length !== 32) throw new Error('an EncodingAESKey is 43 base64 characters');
  return key;
};

export const sha1Signature = (...parts: string[]): string =>
  createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');

/** The base64 ciphertext WeChat puts in `<Encrypt>` (or in echostr). */
export const wechatEncrypt = (
  account: Pick<SafeModeAccount, 'appId' | 'encodingAesKey'>,
  message: string | Buffer,
  random: Buffer = randomBytes(16),
): string => {
  const key = keyOf(account.encodingAesKey);
  const msg = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
  const header = Buffer.alloc(20);
  random.copy(header, 0, 0, 16);
  header.writeUInt32BE(msg.length, 16);
  const plain = Buffer.concat([header, msg, Buffer.from(account.appId, 'utf8')]);
  const n = 32 - (plain.length % 32);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(n, n)])), cipher.final()]).toString('base64');
};

/** The raw plaintext (random ‖ length ‖ msg ‖ appId, unpadded) of a ciphertext: to check what the adapter encrypts. */
export const wechatDecrypt = (
  account: Pick<SafeModeAccount, 'encodingAesKey'>,
  encrypt: string,
): { readonly random: Buffer; readonly message: string; readonly appId: string } => {
  const key = keyOf(account.encodingAesKey);
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  const padded = Buffer.concat([decipher.update(Buffer.from(encrypt, 'base64')), decipher.final()]);
  const n = padded[padded.length - 1]!;
  const plain = padded.subarray(0, padded.length - n);
  const length = plain.readUInt32BE(16);
  return {
    random: plain.subarray(0, 16),
    message: plain.subarray(20, 20 + length).toString('utf8'),
    appId: plain.subarray(20 + length).toString('utf8'),
  };
};

/** A safe-mode delivery as WeChat's server sends it: the query (both signatures) and the XML body. */
export const safeModeDelivery = (
  account: SafeModeAccount,
  message: string,
  options: { timestamp?: string; nonce?: string; toUserName?: string; encrypt?: string } = {},
): { readonly query: Record<string, string>; readonly body: string; readonly encrypt: string } => {
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? String(randomBytes(4).readUInt32BE(0));
  const encrypt = options.encrypt ?? wechatEncrypt(account, message);
  return {
    query: {
      signature: sha1Signature(account.token, timestamp, nonce),
      timestamp,
      nonce,
      openid: 'oOpenIdOfTheSender',
      encrypt_type: 'aes',
      msg_signature: sha1Signature(account.token, timestamp, nonce, encrypt),
    },
    body: `<xml><ToUserName><![CDATA[${options.toUserName ?? 'gh_0123456789ab'}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`,
    encrypt,
  };
};
