/** The pod template annotation carrying the revision (status.revision) a pod was built from. */
export const revisionAnnotation = 'agent-operator.dev/revision';

/**
 * The pod template annotation recording, per referenced Secret key, a short
 * digest (a prefix of the uid-keyed HMAC, never a value) of the content the
 * revision was built with: a rollback compares it with today's to say which
 * Secret keys changed since (Secrets are the user's and are not versioned).
 */
export const secretDigestsAnnotation = 'agent-operator.dev/secret-digests';

// Requests a human (or `kubectl agent`) makes through annotations on the
// Agent. Annotations, not spec fields: a GitOps tool that does not manage them
// leaves them alone (no drift, no revert), and status stays the operator's.
// Each is one-shot where it must be (docs/operations.md, "Operator actions").

/** Present: the operator takes no remediation action (restart, raise, rollback) for this Agent; it still applies the spec and reports. */
export const holdAnnotation = 'agent-operator.dev/hold';
/** `at=<RFC3339>`: lift a hold the operator imposed (recovery exhausted) before that time; restart attempts start over. */
export const resumeAnnotation = 'agent-operator.dev/resume';
/** `to=<revision> generation=<n> at=<RFC3339>`: run that revision (one the workload still keeps: a ReplicaSet or ControllerRevision) until the spec changes. */
export const rollbackAnnotation = 'agent-operator.dev/rollback';

// Pod annotations the operator writes on running pods (reload InPlace/HTTP,
// src/reconcile/config-reload.ts). On pods, not on the template: a template
// change would roll the pods, the very thing these modes avoid.

/** sha256 of the rendered config the pod was told about; the update itself makes the kubelet sync the pod and rewrite the mounted file at once. */
export const configHashAnnotation = 'agent-operator.dev/config-hash';
/** RFC3339: when the pod was told (the HTTP reload call waits a moment after it, for the kubelet). */
export const configToldAtAnnotation = 'agent-operator.dev/config-told-at';
/** HTTP mode, JSON `{"hash","ok","failures","at","error"}`: the last reload call's outcome for that hash. */
export const configReloadAnnotation = 'agent-operator.dev/config-reload';
