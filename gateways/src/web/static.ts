// The browser UI: a fixed list of static files from `gateways/web/`, no build step. Only the
// names below are served (no path from the request reaches the file system).
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { FastifyInstance } from 'fastify';

export const WEB_ROOT = path.resolve(__dirname, '../../web');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** URL path -> file name in `gateways/web/`. */
export const WEB_FILES: Readonly<Record<string, string>> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/widget.html': 'widget.html',
  '/console.html': 'console.html',
  '/admin.html': 'admin.html',
  '/widget.js': 'widget.js',
  '/embed.js': 'embed.js',
  '/console.js': 'console.js',
  '/frames.js': 'frames.js',
  '/admin.js': 'admin.js',
  '/admin-bot.js': 'admin-bot.js',
  '/admin-reports.js': 'admin-reports.js',
  '/admin-webhooks.js': 'admin-webhooks.js',
  '/admin-data.js': 'admin-data.js',
  '/style.css': 'style.css',
  '/favicon.svg': 'favicon.svg',
  // Browsers ask for /favicon.ico whatever the page links: the same picture.
  '/favicon.ico': 'favicon.svg',
  '/index.js': 'index.js',
  '/admin.css': 'admin.css',
  '/i18n.js': 'i18n.js',
  '/locales/en.js': 'locales/en.js',
  '/locales/zh-CN.js': 'locales/zh-CN.js',
};

/** URL path -> a browser build that a dependency ships, served as it is (i18next's ES module). */
export const VENDOR_FILES: Readonly<Record<string, string>> = {
  // The package exports only its entry points; its ES module sits beside package.json.
  '/vendor/i18next.js': path.join(path.dirname(require.resolve('i18next/package.json')), 'dist/esm/i18next.js'),
};

export const registerWebUi = (app: FastifyInstance, root: string = WEB_ROOT): void => {
  const files = [
    ...Object.entries(WEB_FILES).map(([route, file]) => [route, path.join(root, file)] as const),
    ...Object.entries(VENDOR_FILES),
  ];
  for (const [route, full] of files) {
    const type = TYPES[path.extname(full)] ?? 'application/octet-stream';
    app.get(route, async (_request, reply) => {
      const body = await readFile(full);
      return reply
        .type(type)
        .header('cache-control', 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .send(body);
    });
  }
};
