/**
 * What `any serve` prints on stdout once it can take calls — the contract with every program
 * that starts a server on demand (the TypeScript client, the Python client). Exactly one of
 * these lines, then nothing more on stdout: the starter may close the pipe.
 */
export const LISTENING_LINE = 'any server listening on';
/** Another any server already has the port: use it. The process printing this exits. */
export const ALREADY_RUNNING_LINE = 'any server already running on';
