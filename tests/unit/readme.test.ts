import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.join(import.meta.dirname, '..', '..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');

/** Local targets of Markdown images and links, and of <img src>: what a renamed file would break. */
function localTargets(markdown: string) {
  const targets = [...markdown.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g), ...markdown.matchAll(/<img[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1]!);
  return targets.filter((t) => !/^[a-z]+:/i.test(t) && !t.startsWith('#')).map((t) => decodeURIComponent(t.split('#')[0]!));
}

describe('the README', () => {
  it('links only files that exist, among them the screenshots of every role', () => {
    const targets = localTargets(readme);
    const missing = targets.filter((t) => !fs.existsSync(path.join(root, t)));
    expect(missing).toEqual([]);
    const shots = targets.filter((t) => t.startsWith('docs/screenshots/') && t.endsWith('.png'));
    expect(new Set(shots).size).toBeGreaterThanOrEqual(5);
  });

  it('draws the parts as a Mermaid diagram: browsers, phone, SFU, app, database and Redis', () => {
    const blocks = [...readme.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
    expect(blocks).toHaveLength(1);
    for (const part of ['browser', 'phone', 'livekit-server', 'Next.js', 'SQLite', 'Redis', 'webhook', 'tus', '/api/live']) {
      expect(blocks[0], part).toContain(part);
    }
  });
});
