/** The pod template annotation carrying the revision (status.revision) a pod was built from. */
export const revisionAnnotation = 'agent-operator.dev/revision';
