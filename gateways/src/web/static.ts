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
  '/style.css': 'style.css',
  '/admin.css': 'admin.css',
};

export const registerWebUi = (app: FastifyInstance, root: string = WEB_ROOT): void => {
  for (const [route, file] of Object.entries(WEB_FILES)) {
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    const full = path.join(root, file);
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
