import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError, parseServeArgs, USAGE } from '../../src/cli/parse-serve-args';

const T = 'token-0123456789abcdef';
const W = 'watch-0123456789abcdef';

describe('parseServeArgs: tokens from files and the environment', () => {
  let dir: string;
  let tokenFile: string;
  let watchFile: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'agent-stream-args-'));
    tokenFile = join(dir, 'token');
    watchFile = join(dir, 'watch');
    writeFileSync(tokenFile, `${T}\n`, { mode: 0o600 });
    writeFileSync(watchFile, W, { mode: 0o600 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads --token-file and --watch-token-file (one line, its newline dropped) and remembers the files', () => {
    const a = parseServeArgs(['serve', '--token-file', tokenFile, `--watch-token-file=${watchFile}`]);
    expect(a).toMatchObject({ token: T, watchToken: W, tokenFiles: [tokenFile, watchFile], tokenSources: ['file', 'file'] });
  });

  it('takes AGENT_STREAM_WATCH_TOKEN beside AGENT_STREAM_TOKEN; a flag or file wins over the environment', () => {
    expect(parseServeArgs(['serve'], { AGENT_STREAM_TOKEN: T, AGENT_STREAM_WATCH_TOKEN: W })).toMatchObject({
      token: T,
      watchToken: W,
      tokenSources: ['env', 'env'],
      tokenFiles: [],
    });
    expect(
      parseServeArgs(['serve', '--watch-token-file', watchFile], { AGENT_STREAM_WATCH_TOKEN: 'other-0123456789abcdef' }).watchToken,
    ).toBe(W);
    expect(parseServeArgs(['serve', '--token', T]).tokenSources).toEqual(['flag']);
  });

  it('refuses a token file others may read, a missing one, and one with more than a line', () => {
    const open = join(dir, 'open');
    writeFileSync(open, T);
    chmodSync(open, 0o644);
    expect(() => parseServeArgs(['serve', '--token-file', open])).toThrow(
      /--token-file: .*open is readable by others \(mode 644\): chmod 600/,
    );
    expect(() => parseServeArgs(['serve', '--token-file', join(dir, 'absent')])).toThrow(/--token-file: cannot read .*absent: ENOENT/);
    const two = join(dir, 'two');
    writeFileSync(two, `${T}\n${W}\n`, { mode: 0o600 });
    expect(() => parseServeArgs(['serve', '--watch-token-file', two])).toThrow(/must hold one line/);
    expect(() => parseServeArgs(['serve', '--token-file', dir])).toThrow(/is not a file/);
  });

  it('refuses a token given twice, and the same secret for both', () => {
    expect(() => parseServeArgs(['serve', '--token', T, '--token-file', tokenFile])).toThrow('give one of --token, --token-file');
    expect(() => parseServeArgs(['serve', '--watch-token', W, '--watch-token-file', watchFile])).toThrow(
      'give one of --watch-token, --watch-token-file',
    );
    expect(() => parseServeArgs(['serve', '--token-file', tokenFile], { AGENT_STREAM_WATCH_TOKEN: T })).toThrow(
      '--watch-token must differ from --token',
    );
  });

  it('reads files through the given reader (relative paths made absolute)', () => {
    const seen: string[] = [];
    const a = parseServeArgs(['serve', '--token-file', 'rel/token'], {}, (p) => (seen.push(p), `${T}\r\n`));
    expect(a.token).toBe(T);
    expect(seen).toEqual([join(process.cwd(), 'rel/token')]);
  });
});

describe('parseServeArgs: the isolation flags of --spawn', () => {
  it('defaults: isolated, agents without network; --unsafe-no-isolation, --bwrap and --agent-network change that', () => {
    expect(parseServeArgs(['serve', '--spawn'])).toMatchObject({ unsafeNoIsolation: false, agentNetwork: 'deny' });
    expect(
      parseServeArgs(['serve', '--spawn', '--unsafe-no-isolation', '--bwrap', '/opt/bwrap', '--agent-network', 'allow']),
    ).toMatchObject({
      unsafeNoIsolation: true,
      bwrap: '/opt/bwrap',
      agentNetwork: 'allow',
    });
  });

  it.each([
    [['serve', '--unsafe-no-isolation'], /go with --spawn/],
    [['serve', '--bwrap', '/usr/bin/bwrap'], /go with --spawn/],
    [['serve', '--agent-network', 'deny'], /go with --spawn/],
    [['serve', '--spawn', '--agent-network', 'some'], /--agent-network needs allow or deny/],
    [['serve', '--spawn', '--bwrap'], /--bwrap needs a value/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseServeArgs(argv)).toThrow(UsageError);
    expect(() => parseServeArgs(argv)).toThrow(message);
  });

  it('the usage text names them', () => {
    for (const flag of [
      '--token-file',
      '--watch-token-file',
      '--unsafe-no-isolation',
      '--bwrap PATH',
      '--agent-network',
      'AGENT_STREAM_WATCH_TOKEN',
    ])
      expect(USAGE).toContain(flag);
  });
});
