// The platforms' media APIs: fetching a photo or file a visitor sent (so that it becomes an
// attachment like an upload) and sending an agent's file. Telegram (getFile, sendPhoto /
// sendDocument) and WhatsApp (media id -> URL -> bytes; upload, then an image or document message)
// for now; Messenger, Instagram and WeChat media are not fetched or sent yet (see README).
import { asRecord, asText, errorText, readBody, trimBase } from './common';
import { GRAPH_API_VERSION, graphFailure, retryAfterHeader, SEND_TIMEOUT_MS } from './meta';
import type { MediaApi, MediaFetchResult, MediaFile, OutboundFile, SendResult } from './port';
import { telegramResult, type TelegramCredentials } from './telegram';
import type { WhatsappCredentials } from './whatsapp';

const MEDIA_TIMEOUT_MS = 30_000;

const failed = (permanent: boolean, reason: string): MediaFetchResult => ({ ok: false, permanent, reason });

/**
 * The body of a media download, refused once it passes `maxBytes` (by its declared length first,
 * then while reading), never kept whole beyond it.
 */
type Downloaded = { ok: true; bytes: Buffer } | { ok: false; permanent: boolean; reason: string };

const download = async (response: Response, maxBytes: number, platformName: string): Promise<Downloaded> => {
  if (!response.ok) {
    await response.arrayBuffer().catch(() => undefined);
    const transient = response.status >= 500 || response.status === 429 || response.status === 408;
    return { ok: false, permanent: !transient, reason: `${platformName}: media HTTP ${response.status}` };
  }
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    return { ok: false, permanent: true, reason: `${platformName}: the file is over ${maxBytes} bytes` };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  if (response.body === null) return { ok: true, bytes: Buffer.alloc(0) };
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > maxBytes) {
      await response.body.cancel().catch(() => undefined);
      return { ok: false, permanent: true, reason: `${platformName}: the file is over ${maxBytes} bytes` };
    }
    chunks.push(Buffer.from(chunk));
  }
  return { ok: true, bytes: Buffer.concat(chunks, size) };
};

const fileOf = (bytes: Buffer, name: string | undefined, contentType: string | null | undefined): MediaFile => ({
  bytes,
  ...(name === undefined ? {} : { name }),
  ...(contentType == null || contentType === '' ? {} : { contentType }),
});

const blobOf = (file: OutboundFile): Blob =>
  new Blob([new Uint8Array(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength)], {
    type: file.contentType,
  });

// ---- Telegram ----

export const telegramMedia: MediaApi<TelegramCredentials> = {
  // getFile gives a file_path, valid for an hour, under /file/bot<token>/ (the token never goes into a reason).
  fetchMedia: async (attachment, credentials, context) => {
    const base = trimBase(context.baseUrl);
    try {
      const info = await context.fetch(
        `${base}/bot${credentials.botToken}/getFile?file_id=${encodeURIComponent(attachment.mediaId)}`,
        { signal: AbortSignal.timeout(MEDIA_TIMEOUT_MS) },
      );
      const answer = asRecord(await readBody(info));
      const result = asRecord(answer?.result);
      const path = asText(result?.file_path);
      if (!info.ok || answer?.ok !== true || path === undefined) {
        const sent = telegramResult(info.status, answer, info.headers.get('retry-after'));
        return failed(!sent.ok && sent.permanent, `Telegram getFile: ${sent.ok ? 'no file_path' : sent.reason}`);
      }
      const size = result?.file_size;
      if (typeof size === 'number' && size > context.maxBytes)
        return failed(true, `Telegram: the file is over ${context.maxBytes} bytes`);
      const response = await context.fetch(`${base}/file/bot${credentials.botToken}/${path}`, {
        signal: AbortSignal.timeout(MEDIA_TIMEOUT_MS),
      });
      const body = await download(response, context.maxBytes, 'Telegram');
      if (!body.ok) return body;
      const name = attachment.name ?? path.split('/').pop();
      return { ok: true, file: fileOf(body.bytes, name, attachment.mimeType) };
    } catch (error) {
      return failed(false, `Telegram unreachable: ${errorText(error).replace(credentials.botToken, '<token>')}`);
    }
  },
  sendMedia: async (to, file, credentials, context) => {
    const photo = file.kind === 'image';
    const form = new FormData();
    form.set('chat_id', to);
    form.set(photo ? 'photo' : 'document', blobOf(file), file.name);
    let response: Response;
    try {
      response = await context.fetch(
        `${trimBase(context.baseUrl)}/bot${credentials.botToken}/${photo ? 'sendPhoto' : 'sendDocument'}`,
        { method: 'POST', body: form, signal: AbortSignal.timeout(MEDIA_TIMEOUT_MS) },
      );
    } catch (error) {
      return { ok: false, permanent: false, reason: `Telegram unreachable: ${errorText(error)}` };
    }
    return telegramResult(response.status, await readBody(response), response.headers.get('retry-after'));
  },
};

// ---- WhatsApp Cloud API ----

const graphFailed = async (response: Response, platformName: string): Promise<Extract<SendResult, { ok: false }>> => {
  const failure = graphFailure(
    response.status,
    await readBody(response),
    retryAfterHeader(response.headers.get('retry-after')),
  );
  return { ...failure, reason: `${platformName}: ${failure.reason}` };
};

export const whatsappMedia: MediaApi<WhatsappCredentials> = {
  // GET /<media id> answers the file's URL (valid for minutes), which is fetched with the same token.
  fetchMedia: async (attachment, credentials, context) => {
    const authorization = { authorization: `Bearer ${credentials.accessToken}` };
    try {
      const info = await context.fetch(
        `${trimBase(context.baseUrl)}/${GRAPH_API_VERSION}/${encodeURIComponent(attachment.mediaId)}`,
        { headers: authorization, signal: AbortSignal.timeout(MEDIA_TIMEOUT_MS) },
      );
      if (!info.ok) {
        const failure = await graphFailed(info, 'WhatsApp media');
        return failed(failure.permanent, failure.reason);
      }
      const answer = asRecord(await readBody(info));
      const url = asText(answer?.url);
      if (url === undefined || !/^https?:\/\//.test(url)) return failed(true, 'WhatsApp media: no URL in the answer');
      const size = answer?.file_size;
      if (typeof size === 'number' && size > context.maxBytes)
        return failed(true, `WhatsApp: the file is over ${context.maxBytes} bytes`);
      const response = await context.fetch(url, {
        headers: authorization,
        signal: AbortSignal.timeout(MEDIA_TIMEOUT_MS),
      });
      const body = await download(response, context.maxBytes, 'WhatsApp');
      if (!body.ok) return body;
      return {
        ok: true,
        file: fileOf(body.bytes, attachment.name, attachment.mimeType ?? asText(answer?.mime_type)),
      };
    } catch (error) {
      return failed(false, `WhatsApp unreachable: ${errorText(error)}`);
    }
  },
  // Upload to the phone number's media, then send an image or document message naming the media id.
  sendMedia: async (to, file, credentials, context) => {
    const base = `${trimBase(context.baseUrl)}/${GRAPH_API_VERSION}/${encodeURIComponent(credentials.phoneNumberId)}`;
    const authorization = { authorization: `Bearer ${credentials.accessToken}` };
    try {
      const form = new FormData();
      form.set('messaging_product', 'whatsapp');
      form.set('type', file.contentType);
      form.set('file', blobOf(file), file.name);
      const uploaded = await context.fetch(`${base}/media`, {
        method: 'POST',
        headers: authorization,
        body: form,
        signal: AbortSignal.timeout(MEDIA_TIMEOUT_MS),
      });
      if (!uploaded.ok) return await graphFailed(uploaded, 'WhatsApp media upload');
      const mediaId = asText(asRecord(await readBody(uploaded))?.id);
      if (mediaId === undefined) return { ok: false, permanent: false, reason: 'WhatsApp media upload: no id' };
      const type = file.kind === 'image' ? 'image' : 'document';
      const sent = await context.fetch(`${base}/messages`, {
        method: 'POST',
        headers: { ...authorization, 'content-type': 'application/json' },
        body: JSON.stringify({
          messaging_product: 'whatsapp',
          recipient_type: 'individual',
          to,
          type,
          [type]: type === 'image' ? { id: mediaId } : { id: mediaId, filename: file.name },
        }),
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      if (!sent.ok) return await graphFailed(sent, 'WhatsApp');
      const id = asText(asRecord((asRecord(await readBody(sent))?.messages as unknown[] | undefined)?.[0])?.id);
      return id === undefined ? { ok: true } : { ok: true, platformMessageId: id };
    } catch (error) {
      return { ok: false, permanent: false, reason: `WhatsApp unreachable: ${errorText(error)}` };
    }
  },
};
