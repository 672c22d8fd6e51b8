/** The charm's name (metadata.yaml `name`): COS labels, dashboard uids and tags carry it. */
export const CHARM_NAME = 'postgresql-k8s';
