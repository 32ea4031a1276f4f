/** The pod template annotation carrying the revision (status.revision) a pod was built from. */
export const revisionAnnotation = 'agent-operator.dev/revision';

/**
 * The pod template annotation recording, per referenced Secret key, a short
 * digest (a prefix of the uid-keyed HMAC, never a value) of the content the
 * revision was built with: a rollback compares it with today's to say which
 * Secret keys changed since (Secrets are the user's and are not versioned).
 */
export const secretDigestsAnnotation = 'agent-operator.dev/secret-digests';
