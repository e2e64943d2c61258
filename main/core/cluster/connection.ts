// Redis connection settings for the cluster, from one URL: redis://[user:pass@]host:port[/db] or
// rediss:// for TLS. Credentials and TLS pass through to ioredis untouched; a bad URL is a clear
// BAD_INPUT here rather than a hang or an obscure socket error later.
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { badInput, TwinforgeError } from '../errors';

export interface RedisConnection {
  host: string;
  port: number;
  db?: number;
  username?: string;
  password?: string;
  tls?: Record<string, unknown>;
  /** BullMQ workers need blocking commands that never give up while Redis restarts. */
  maxRetriesPerRequest: null;
  retryStrategy: (times: number) => number;
  [key: string]: unknown;
}

/**
 * Parses a Redis URL into connection options. TLS extras come from the environment so secrets
 * stay off the command line: TWINFORGE_REDIS_CA (a PEM file), TWINFORGE_REDIS_PASSWORD (used when
 * the URL carries none), TWINFORGE_REDIS_TLS_INSECURE=1 (self-signed test servers only).
 */
export function parseRedisUrl(text: string, env: NodeJS.ProcessEnv = process.env): RedisConnection {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw badInput(`--queue '${text}' is not a URL.`, 'Give the Redis URL, e.g. redis://127.0.0.1:6379 or rediss://user:pass@host:6380.');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw badInput(`--queue '${redact(text)}' is not a Redis URL (scheme ${u.protocol}).`, 'Use redis://HOST:PORT, or rediss://HOST:PORT for TLS.');
  }
  if (!u.hostname) throw badInput(`--queue '${redact(text)}' names no host.`, 'Use redis://HOST:PORT.');
  const port = u.port ? Number(u.port) : 6379;
  const dbText = u.pathname.replace(/^\//, '');
  if (dbText && !/^\d+$/.test(dbText)) throw badInput(`--queue '${redact(text)}': '${dbText}' is not a database number.`, 'Use redis://HOST:PORT/N with a number N, or leave the path out.');
  const conn: RedisConnection = {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    maxRetriesPerRequest: null,
    // Keep trying (Redis restarts are expected): quickly at first, then every 2 s.
    retryStrategy: (times) => Math.min(100 * times, 2000),
  };
  if (dbText) conn.db = Number(dbText);
  if (u.username) conn.username = decodeURIComponent(u.username);
  const password = u.password ? decodeURIComponent(u.password) : env.TWINFORGE_REDIS_PASSWORD;
  if (password) conn.password = password;
  if (u.protocol === 'rediss:') {
    const tls: Record<string, unknown> = { servername: conn.host };
    if (env.TWINFORGE_REDIS_CA) {
      try {
        tls.ca = readFileSync(env.TWINFORGE_REDIS_CA);
      } catch {
        throw badInput(`TWINFORGE_REDIS_CA=${env.TWINFORGE_REDIS_CA} cannot be read.`, 'Point it at the PEM file of the CA that signed the Redis server certificate.');
      }
    }
    if (env.TWINFORGE_REDIS_TLS_INSECURE === '1') tls.rejectUnauthorized = false;
    conn.tls = tls;
  }
  return conn;
}

/** The URL without its password, for logs, the zoo and the GUI. */
export function redact(text: string): string {
  try {
    const u = new URL(text);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return text.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/**
 * Connects once without retrying, so a wrong address or password is a clear error at start
 * rather than a silent wait (later outages are waited out: see retryStrategy). The caller
 * disconnects the client it gets.
 */
export async function probeRedis(url: string): Promise<Redis> {
  const conn = parseRedisUrl(url);
  const r = new Redis({ ...conn, maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true, connectTimeout: 5000 });
  let last = '';
  r.on('error', (e: Error) => (last = e.message)); // the cause (e.g. NOAUTH) arrives here, not in the rejection
  try {
    await r.connect();
    await r.ping();
  } catch (e) {
    r.disconnect();
    const why = [last, (e as Error).message].filter(Boolean).join('; ');
    throw new TwinforgeError('NOT_FOUND', `Cannot reach Redis at ${redact(url)}: ${why}`, 'Start it (redis-server --port P) or fix --queue; for a password use redis://:PASS@HOST:PORT or TWINFORGE_REDIS_PASSWORD.');
  }
  return r;
}
