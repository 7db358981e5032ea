import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The `ACL SETUSER` line of docs/deploy.md, as the arguments after `ACL SETUSER` with its
 * placeholder password replaced: tests run as exactly the user the docs tell operators to create.
 */
export function documentedAclUser(password: string): { user: string; args: string[] } {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'deploy.md'), 'utf8');
  const lines = doc.split('\n').filter((l) => l.startsWith('ACL SETUSER '));
  if (lines.length !== 1) throw new Error(`docs/deploy.md should hold one ACL SETUSER line, found ${lines.length}`);
  const [, , user, ...rules] = lines[0]!.trim().split(/\s+/);
  if (!rules.includes('>CHANGE-ME')) throw new Error('the documented ACL should set the password >CHANGE-ME');
  return { user: user!, args: [user!, ...rules.map((r) => (r === '>CHANGE-ME' ? `>${password}` : r))] };
}
