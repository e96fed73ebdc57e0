import { sniff } from './intake';

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

describe('sniffing an upload', () => {
  it.each([
    ['png', bytes('\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR'), 'text/html', 'image/png'],
    ['jpeg', bytes('\xff\xd8\xff\xe0\x00\x10JFIF\x00'), 'application/pdf', 'image/jpeg'],
    ['gif', bytes('GIF89a\x01\x00\x01\x00'), undefined, 'image/gif'],
    ['webp', bytes('RIFF\x24\x00\x00\x00WEBPVP8 '), 'image/png', 'image/webp'],
    ['pdf', bytes('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n'), 'image/png', 'application/pdf'],
    [
      'a zip named as a docx',
      bytes('PK\x03\x04\x14\x00\x06\x00'),
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    ],
    ['a zip named as html', bytes('PK\x03\x04\x14\x00\x06\x00'), 'text/html', 'application/zip'],
    ['plain text named csv', Buffer.from('a,b\n1,2\n'), 'text/csv', 'text/csv'],
    ['plain text named html', Buffer.from('just words, 你好'), 'text/html', 'text/plain'],
    ['json', Buffer.from('{"a": 1}'), 'application/json', 'application/json'],
    [
      'an svg without scripts',
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>'),
      'image/svg+xml',
      'image/svg+xml',
    ],
    ['unknown binary', Buffer.from([0, 1, 2, 3, 250, 251, 0, 9]), 'image/png', 'application/octet-stream'],
  ])('tells %s from its bytes, whatever the client says', (_what, content, claimed, expected) => {
    expect(sniff(content, claimed)).toEqual({ ok: true, contentType: expected });
  });

  it.each([
    ['a Windows program', bytes('MZ\x90\x00\x03\x00\x00\x00')],
    ['a Linux program', bytes('\x7fELF\x02\x01\x01\x00')],
    ['a Java class', bytes('\xca\xfe\xba\xbe\x00\x00\x00\x34')],
    ['HTML', Buffer.from('\uFEFF  <!doctype html><p>hi')],
    ['HTML without a doctype', Buffer.from('<div onclick="x()">hi</div>')],
    ['HTML after some text', Buffer.from('hello <script>alert(1)</script>')],
    ['an SVG with a script', Buffer.from('<svg><script>alert(1)</script></svg>')],
    [
      'an SVG with an event handler',
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><rect onload="alert(1)"/></svg>'),
    ],
    ['an SVG with a javascript: link', Buffer.from('<svg><a href="javascript:alert(1)"><rect/></a></svg>')],
    ['an SVG with foreign HTML', Buffer.from('<?xml version="1.0"?><svg><foreignObject><p/></foreignObject></svg>')],
    ['XHTML', Buffer.from('<?xml version="1.0"?><x:html xmlns:x="http://www.w3.org/1999/xhtml"/>')],
    ['a shell script', Buffer.from('#!/bin/sh\necho hi\n')],
  ])('refuses %s', (_what, content) => {
    const sniffed = sniff(content, 'image/png');
    expect(sniffed.ok).toBe(false);
    expect(!sniffed.ok && sniffed.reason.length).toBeGreaterThan(0);
  });
});
