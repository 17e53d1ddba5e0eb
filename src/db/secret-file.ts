// A generated secret kept in a file of its own (mode 0600): read on every later start, written on the first.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';

export async function readOrCreateSecret(file: string, bytes: number): Promise<{ value: string; created: boolean }> {
  if (existsSync(file)) return { value: (await readFile(file, 'utf8')).trim(), created: false };
  const value = randomBytes(bytes).toString('base64url');
  await writeFile(file, `${value}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // the mode above passes through the umask
  return { value, created: true };
}
