// NODE_EXTRA_CA_CERTS, honoured on first use instead of at start-up.
//
// Node 20 parses its ~140 bundled root certificates and every certificate in NODE_EXTRA_CA_CERTS before any
// JavaScript runs (nodejs/node#40524: OpenSSL 3 parses certificates slowly). Where the variable names the system
// bundle, as on our CI machines (144 certificates), that is 40 ms on every CLI call, twice what Node needs to start.
// bin/tradepipe's shell line moves the variable to DEFERRED_VARIABLE; this module puts it back for child
// processes and gives its certificates to the TLS contexts that would have had them: Node's rule is that every
// context built without an explicit `ca` trusts the default roots (Node's bundle, or OpenSSL's store where Node is
// built to use it, as some distributions do) plus the extra certificates. They are added to each such context's
// copy of the default store, as libraries that inject CAs do (`context.addCACert`), so the default stays whatever
// it is. Node's store is the process's, but each thread has a TLS module of its own: every worker thread started
// from a file does the same first (an `--import` preload); one started with `eval: true` runs no preload, and is not
// told (README, Start-up).
import { readFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';

const DEFERRED_VARIABLE = 'TRADEPIPE_EXTRA_CA_CERTS';
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;
/**
 * What Node 20's tls.createSecureContext reads (lib/_tls_common.js, lib/internal/tls/secure-context.js): a context
 * built from options naming none of these is the default one, so one such context serves every such caller.
 */
const CONTEXT_OPTIONS = [
  'allowPartialTrustChain',
  'ca',
  'cert',
  'ciphers',
  'clientCertEngine',
  'crl',
  'dhparam',
  'ecdhCurve',
  'honorCipherOrder',
  'key',
  'maxVersion',
  'minVersion',
  'passphrase',
  'pfx',
  'privateKeyEngine',
  'privateKeyIdentifier',
  'secureOptions',
  'secureProtocol',
  'sessionIdContext',
  'sessionTimeout',
  'sigalgs',
  'ticketKeys',
];

/**
 * In the CLI's main thread: the file the shell line moved aside (undefined when it moved nothing), now back in
 * NODE_EXTRA_CA_CERTS for child processes, which load it themselves.
 */
export function takeDeferredExtraCaCerts() {
  const file = process.env[DEFERRED_VARIABLE];
  delete process.env[DEFERRED_VARIABLE];
  // Set too: this process was started some other way (`node bin/tradepipe`) and Node loaded the file itself.
  if (!file || process.env.NODE_EXTRA_CA_CERTS) return undefined;
  process.env.NODE_EXTRA_CA_CERTS = file;
  return file;
}

/**
 * Makes every TLS context this thread builds with the default roots trust the certificates in `file` too, and every
 * worker thread it starts from a file do the same.
 */
export function trustExtraCaCerts(file) {
  const require = createRequire(import.meta.url);
  trustInTls(require('node:tls'), file);
  passToWorkers(require('node:worker_threads'), file);
  // ES modules importing `createSecureContext` or `Worker` by name get the replacements too.
  syncBuiltinESMExports();
}

function trustInTls(tls, file) {
  const createWithDefaults = tls.createSecureContext;
  let extra; // the file's certificates as one PEM text ('' for none), read on the first context
  let shared; // the default context, rebuilt when a tls.DEFAULT_* setting it was built with changes
  const withExtra = (secureContext) => {
    secureContext.context.addCACert(extra);
    return secureContext;
  };
  tls.createSecureContext = function createSecureContextWithExtraCaCerts(options) {
    // An explicit `ca` replaces the defaults, extra certificates included; a falsy one means the defaults (Node's rules).
    if (options?.ca) return createWithDefaults(options);
    extra ??= readCertificates(file);
    if (extra === '') return createWithDefaults(options);
    if (options && CONTEXT_OPTIONS.some((name) => options[name] != null)) return withExtra(createWithDefaults(options));
    const defaults = [tls.DEFAULT_CIPHERS, tls.DEFAULT_ECDH_CURVE, tls.DEFAULT_MIN_VERSION, tls.DEFAULT_MAX_VERSION].join('\0');
    // Parsing the file's certificates takes ~20 ms for a system bundle: once, not per connection (Node shares its root store the same way).
    if (shared?.defaults !== defaults) shared = { defaults, context: withExtra(createWithDefaults()) };
    return shared.context;
  };
}

function passToWorkers(workerThreads, file) {
  const preload = `--import=data:text/javascript,${encodeURIComponent(`import { trustExtraCaCerts } from ${JSON.stringify(import.meta.url)}; trustExtraCaCerts(${JSON.stringify(file)});`)}`;
  const Base = workerThreads.Worker;
  workerThreads.Worker = class Worker extends Base {
    constructor(filename, options = {}) {
      // Without `execArgv` a worker takes this thread's (NODE_OPTIONS apply either way): the same, plus the preload once.
      const inherited = options.execArgv ?? process.execArgv.filter((option) => option !== preload);
      super(filename, { ...options, execArgv: [...inherited, preload] });
    }
  };
}

function readCertificates(file) {
  try {
    const certificates = readFileSync(file, 'latin1').match(PEM_CERTIFICATE) ?? [];
    if (certificates.length > 0) return certificates.join('\n');
    warn(file, 'no certificate in the file');
  } catch (error) {
    warn(file, error.message);
  }
  return '';
}

/** Node's own warning for a file it cannot load, which it then ignores. */
function warn(file, reason) {
  process.stderr.write(`Warning: Ignoring extra certs from \`${file}\`, load failed: ${reason}\n`);
}
