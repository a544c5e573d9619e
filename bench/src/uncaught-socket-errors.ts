// The generator thread's guard against undici raising a connection's error where no request can
// catch it.
import { errors } from "undici";

/**
 * Keeps undici's SocketError (`UND_ERR_SOCKET`, e.g. "other side closed") from ending the
 * process or worker thread when undici raises it as an uncaught exception instead of failing the
 * request it belongs to — which it does now and then when a server closes keep-alive
 * connections under overload (nodejs/undici#3848, still open for undici 8). The request it
 * belonged to ends anyway: a generator's step aborts whatever is still in flight when its drain
 * ends, and counts it. Any other uncaught exception is thrown again, and stays fatal.
 *
 * Installs one `uncaughtException` listener on `target` (the current `process` by default).
 * @returns `absorbed()`: how many SocketErrors it has kept from being fatal so far
 */
export function absorbUncaughtSocketErrors(target: NodeJS.Process = process): { absorbed(): number } {
  let absorbed = 0;
  target.on("uncaughtException", (error) => {
    if (error instanceof errors.SocketError) {
      absorbed += 1;
      return;
    }
    throw error;
  });
  return { absorbed: () => absorbed };
}
