// What an uploaded file is, from its content (magic bytes, not the client's content-type), whether
// it may be kept, and the thumbnail of an image. Magic bytes come from `magic-bytes.js` (CommonJS,
// no dependencies; `file-type` is ESM-only and does not load under this CommonJS project's jest);
// text formats (HTML, SVG, XML) are told here, since no magic-byte table knows them. Thumbnails are
// made by `sharp` (libvips, prebuilt binaries shipped as optional npm packages, no install script).
import { filetypeinfo } from 'magic-bytes.js';

export const THUMBNAIL_MAX_PX = 320;

/** Images shown in place (served inline, with a thumbnail); every other type is a download. */
export const INLINE_IMAGE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/** Programs and packages of programs: never kept, whatever the client calls them. */
const EXECUTABLES: ReadonlySet<string> = new Set([
  'exe',
  'ELF',
  'Mach-O',
  'dex',
  'class',
  'wasm',
  'apk',
  'aar',
  'jar',
  'deb',
  'rpm',
  'dmg',
  'crx',
  'swf',
  'cab',
  'xar',
  'deploymentimage',
  'windowsupdate',
]);

/** Text formats the magic-byte table knows by their first characters: judged as text here (markup, scripts). */
const TEXTUAL: ReadonlySet<string> = new Set(['txt', 'xml', 'Json', 'SVG', 'EML', 'SubRip', 'WebVTT']);

/** Types told by magic bytes that have no MIME type in the table. */
const MIME_OF_TYPENAME: Readonly<Record<string, string>> = { jpg: 'image/jpeg', png: 'image/png' };

/** Text types a client may name for plain text (anything else that is text is `text/plain`). */
const TEXT_TYPES: ReadonlySet<string> = new Set(['text/plain', 'text/csv', 'text/markdown', 'application/json']);

export type Sniffed =
  { readonly ok: true; readonly contentType: string } | { readonly ok: false; readonly reason: string };

const refused = (reason: string): Sniffed => ({ ok: false, reason });

const mediaTypeOf = (claimed: string | undefined): string | undefined =>
  claimed?.split(';')[0]?.trim().toLowerCase() || undefined;

/** UTF-8 text without NUL characters (what a browser could take for a page or a script). */
const asText = (bytes: Uint8Array): string | undefined => {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
};

/** Markup that runs code in a browser: script elements, event handlers, javascript: URLs, foreign HTML. */
const ACTIVE_MARKUP =
  /<\s*script\b|\son[a-z]+\s*=|javascript\s*:|<\s*foreignObject\b|<\s*iframe\b|<\s*embed\b|<\s*object\b|xhtml/i;
/** What makes a browser render a text as a page. */
const HTML_MARKUP = /<\s*(!doctype\s+html|html|head|body|script|iframe|frameset|meta|title|style|a|img|div|form)\b/i;

const sniffText = (text: string, claimed: string | undefined): Sniffed => {
  const start = text.replace(/^\uFEFF/, '').trimStart();
  // Browsers sniff the first kilobytes for HTML; the whole file is looked at here.
  if (start.startsWith('<')) {
    if (/<\s*svg\b/i.test(text)) {
      if (ACTIVE_MARKUP.test(text)) return refused('an SVG image with scripts is not accepted');
      return { ok: true, contentType: 'image/svg+xml' };
    }
    if (HTML_MARKUP.test(text) || ACTIVE_MARKUP.test(text)) return refused('HTML is not accepted');
    if (start.startsWith('<?xml')) return { ok: true, contentType: 'application/xml' };
    return refused('markup is not accepted');
  }
  if (HTML_MARKUP.test(text.slice(0, 1024))) return refused('HTML is not accepted');
  if (start.startsWith('#!')) return refused('scripts are not accepted');
  return { ok: true, contentType: claimed !== undefined && TEXT_TYPES.has(claimed) ? claimed : 'text/plain' };
};

/**
 * The type of a file from its content. `claimed` (the client's content-type) only picks among the
 * types the content allows (a zip may be a .docx), and names plain text more closely.
 */
export const sniff = (bytes: Uint8Array, claimedType?: string): Sniffed => {
  const claimed = mediaTypeOf(claimedType);
  const found = filetypeinfo(bytes.subarray(0, 4100));
  const first = found[0];
  if (first !== undefined && !found.some((f) => TEXTUAL.has(f.typename))) {
    if (found.some((f) => EXECUTABLES.has(f.typename)) && !found.some((f) => f.typename === 'zip'))
      return refused('programs are not accepted');
    if (first.typename === 'zip') {
      const named = found.find((f) => f.mime !== undefined && f.mime === claimed && !EXECUTABLES.has(f.typename));
      return { ok: true, contentType: named?.mime ?? 'application/zip' };
    }
    if (found.some((f) => f.typename === 'png')) return { ok: true, contentType: 'image/png' };
    const mime = first.mime ?? MIME_OF_TYPENAME[first.typename];
    return { ok: true, contentType: mime ?? 'application/octet-stream' };
  }
  const text = asText(bytes);
  if (text !== undefined) {
    if (first?.typename === 'Json' || claimed === 'application/json') {
      const json = sniffText(text, claimed);
      return json.ok ? { ok: true, contentType: 'application/json' } : json;
    }
    return sniffText(text, claimed);
  }
  return { ok: true, contentType: 'application/octet-stream' };
};

export interface MadeThumbnail {
  readonly bytes: Buffer;
  readonly contentType: string;
  readonly width: number;
  readonly height: number;
}

/**
 * A thumbnail of an inline image (at most THUMBNAIL_MAX_PX on each side, never enlarged, turned
 * upright by its EXIF orientation), or undefined when the bytes are not a readable image.
 * `limitInputPixels` keeps a small file that claims a huge canvas from taking the memory.
 */
export const thumbnailOf = async (bytes: Uint8Array, contentType: string): Promise<MadeThumbnail | undefined> => {
  if (!INLINE_IMAGE_TYPES.has(contentType)) return undefined;
  try {
    // Loaded on the first image: libvips is large, and most processes never make a thumbnail.
    const { default: sharp } = await import('sharp');
    const image = sharp(bytes, { limitInputPixels: 50_000_000 })
      .rotate()
      .resize(THUMBNAIL_MAX_PX, THUMBNAIL_MAX_PX, { fit: 'inside', withoutEnlargement: true });
    const asJpeg = contentType === 'image/jpeg';
    const { data, info } = await (asJpeg ? image.jpeg({ quality: 80 }) : image.png()).toBuffer({
      resolveWithObject: true,
    });
    return { bytes: data, contentType: asJpeg ? 'image/jpeg' : 'image/png', width: info.width, height: info.height };
  } catch {
    return undefined;
  }
};
