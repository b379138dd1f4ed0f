import { Redis } from 'ioredis';

const closing = new WeakSet<Redis>();

/** Closes a connection opened by `openRedis` (without reporting it as lost). */
export async function closeRedis(redis: Redis): Promise<void> {
  closing.add(redis);
  await redis.quit().catch(() => redis.disconnect());
}

/** How long the first connection may take before a command gives up: a wrong address fails fast. */
const FIRST_CONNECT_MS = 5000;

/**
 * Checks a `--queue` value: a `redis://` or `rediss://` URL (`redis://HOST:PORT`, optionally with a
 * user, password and database number, as ioredis reads it).
 */
export function parseRedisUrl(flag: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${flag} must be a redis:// URL (redis://HOST:PORT); got '${value}'`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error(`${flag} must be a redis:// URL (redis://HOST:PORT); got '${value}'`);
  if (url.hostname === '') throw new Error(`${flag} names no host; got '${value}'`);
  return value;
}

/** The URL without its password, for messages. */
export function redisLabel(url: string): string {
  const u = new URL(url);
  if (u.password !== '') u.password = '***';
  return u.toString();
}

export interface RedisConnectionEvents {
  /** The connection dropped (Redis stopped, restarted, or the network went away); ioredis keeps retrying. */
  onLost?: (reason: string) => void;
  /** The connection is back after a loss. */
  onBack?: () => void;
}

/**
 * Opens an ioredis connection as BullMQ needs it (`maxRetriesPerRequest: null`: commands wait for a
 * reconnection instead of failing, so a restart of Redis pauses the study instead of ending it) and waits
 * until Redis answers; an address that does not answer within 5 s is an error naming it. Later losses
 * are reported through `events`, once per loss, while ioredis reconnects every 0.2–2 s.
 */
export async function openRedis(flag: string, url: string, events: RedisConnectionEvents = {}): Promise<Redis> {
  const redis = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(200 * times, 2000) });
  let lastError = '';
  let ready = false;
  let lost = false;
  redis.on('error', (err: Error) => {
    lastError = err.message;
  });
  redis.on('close', () => {
    if (ready && !lost && !closing.has(redis)) {
      lost = true;
      events.onLost?.(lastError || 'connection closed');
    }
  });
  redis.on('ready', () => {
    if (lost) events.onBack?.();
    lost = false;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`${flag}: Redis at ${redisLabel(url)} did not answer within ${FIRST_CONNECT_MS / 1000} s${lastError ? ` (${lastError})` : ''}`)), FIRST_CONNECT_MS);
      }),
    ]);
  } catch (err) {
    redis.disconnect();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  ready = true;
  return redis;
}
