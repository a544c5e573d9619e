// The development TLS material of the cluster's edge: a local certificate authority, made once,
// and a server certificate for 127.0.0.1 and localhost signed by it. Clients trust the CA
// (`caCertPath`), never the server certificate itself, so renewing the latter changes nothing
// for them. Made with openssl (argument arrays, never a shell).
import { access, chmod, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { ServicesError } from "../backing/backing-service.ts";
import { findExecutable, run } from "../backing/process.runner.ts";

/** Where the certificates are (all PEM). */
export interface DevCertificates {
  /** The CA to trust: `curl --cacert`, Node's `ca` option, a browser's authorities. */
  readonly caCertPath: string;
  /** NGINX's `ssl_certificate`. */
  readonly certPath: string;
  /** NGINX's `ssl_certificate_key` (mode 0600). */
  readonly keyPath: string;
  /** What this call made: nothing, a new server certificate, or a new CA and server certificate. */
  readonly made: "nothing" | "server certificate" | "CA and server certificate";
}

/** The CA lives ten years; the server certificate 825 days (the most Apple platforms accept). */
const CA_DAYS = 3650;
const SERVER_DAYS = 825;
/** A server certificate expiring within 30 days is renewed. */
const RENEW_BEFORE_SECONDS = 30 * 86_400;
const OPENSSL_TIMEOUT_MS = 30_000;

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * Makes sure `dir` holds a development CA (`ca.crt`, `ca.key`) and a server certificate for
 * `127.0.0.1` and `localhost` signed by it (`server.crt`, `server.key`), all P-256 ECDSA. Makes
 * the CA when it is missing (then a new server certificate too); makes the server certificate
 * when it is missing, expires within 30 days, or was not signed by the current CA.
 *
 * @throws ServicesError("tls") when openssl is missing or fails (with its message).
 */
export async function ensureDevCertificates(dir: string): Promise<DevCertificates> {
  const paths = {
    caCertPath: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    certPath: join(dir, "server.crt"),
    keyPath: join(dir, "server.key"),
  };
  const result = (made: DevCertificates["made"]): DevCertificates => ({
    caCertPath: paths.caCertPath,
    certPath: paths.certPath,
    keyPath: paths.keyPath,
    made,
  });
  const openssl = await findExecutable("openssl");
  if (openssl === undefined) throw new ServicesError("tls", "openssl not found (Debian package openssl)");
  const attempt = async (what: string, args: string[]) => {
    const outcome = await run(openssl, args, { timeoutMs: OPENSSL_TIMEOUT_MS, cwd: dir });
    return { ok: outcome.code === 0, message: `${what}: ${(outcome.stderr || outcome.stdout).trim().slice(-600)}` };
  };
  const required = async (what: string, args: string[]) => {
    const outcome = await attempt(what, args);
    if (!outcome.ok) throw new ServicesError("tls", `openssl ${outcome.message}`);
  };
  await mkdir(dir, { recursive: true, mode: 0o700 });

  let made: DevCertificates["made"] = "nothing";
  if (!(await exists(paths.caCertPath)) || !(await exists(paths.caKey))) {
    await required("make the development CA", [
      "req",
      "-x509",
      "-new",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-noenc",
      "-keyout",
      paths.caKey,
      "-out",
      paths.caCertPath,
      "-days",
      String(CA_DAYS),
      "-subj",
      "/O=Souk development/CN=Souk development CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE,pathlen:0",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    await chmod(paths.caKey, 0o600);
    await rm(paths.certPath, { force: true });
    made = "CA and server certificate";
  }

  const serverValid =
    (await exists(paths.certPath)) &&
    (await exists(paths.keyPath)) &&
    (
      await attempt("check expiry", [
        "x509",
        "-in",
        paths.certPath,
        "-noout",
        "-checkend",
        String(RENEW_BEFORE_SECONDS),
      ])
    ).ok &&
    (await attempt("verify", ["verify", "-CAfile", paths.caCertPath, paths.certPath])).ok;
  if (!serverValid) {
    // `req -x509 -CA` (OpenSSL 3) signs with the CA in one step and keeps the -addext extensions.
    await required("make the server certificate", [
      "req",
      "-x509",
      "-new",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-noenc",
      "-keyout",
      paths.keyPath,
      "-out",
      paths.certPath,
      "-CA",
      paths.caCertPath,
      "-CAkey",
      paths.caKey,
      "-days",
      String(SERVER_DAYS),
      "-subj",
      "/O=Souk development/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "-addext",
      "basicConstraints=critical,CA:FALSE",
      "-addext",
      "keyUsage=critical,digitalSignature",
      "-addext",
      "extendedKeyUsage=serverAuth",
    ]);
    await chmod(paths.keyPath, 0o600);
    if (made === "nothing") made = "server certificate";
  }
  return result(made);
}
