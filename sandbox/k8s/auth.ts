import { randomBytes, timingSafeEqual } from 'node:crypto';
import { forbidden, unauthorized, type ApiStatusError } from './errors.ts';

/*
 * Authentication and just enough RBAC (https://kubernetes.io/docs/reference/access-authn-authz/rbac/).
 *
 * Every application gets one service-account bearer token (`system:serviceaccount:<ns>:<app>`,
 * as a pod's projected token authenticates, https://kubernetes.io/docs/reference/access-authn-authz/authentication/#service-account-tokens).
 * A request without a known token is 401 Unauthorized.
 *
 * Authorization has two levels:
 *  - untrusted (the default): what this stand-in grants a sidecar charm's own service account
 *    without `juju trust`: get, list and watch pods in its own namespace, and get, list and watch
 *    nodes. Everything else is 403 Forbidden with RBAC's message. The reference charm needs
 *    `juju trust <app> --scope=cluster` for its Services, Endpoints and pod patches, which this
 *    reproduces.
 *  - trusted (`trust(app)`, like `juju trust --scope=cluster`): every verb on every resource.
 * `admin` tokens (`adminToken`) are always trusted (the sandbox's own client).
 */

export interface Identity {
  /** `system:serviceaccount:<ns>:<app>`, or `system:admin`. */
  user: string;
  app: string | undefined;
  namespace: string | undefined;
  admin: boolean;
}

export interface AuthSnapshot {
  tokens: { token: string; app: string; namespace: string }[];
  trusted: string[];
  adminToken: string;
}

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

const READ_ONLY: Readonly<Record<string, readonly Verb[]>> = {
  pods: ['get', 'list', 'watch'],
  nodes: ['get', 'list', 'watch'],
};

export class Authorizer {
  private readonly tokens = new Map<string, { app: string; namespace: string }>();
  private readonly trusted = new Set<string>();
  private admin: string;

  constructor() {
    this.admin = newToken();
  }

  get adminToken(): string {
    return this.admin;
  }

  snapshot(): AuthSnapshot {
    return {
      tokens: [...this.tokens].map(([token, who]) => ({ token, ...who })),
      trusted: [...this.trusted],
      adminToken: this.admin,
    };
  }

  restore(snapshot: AuthSnapshot): void {
    this.tokens.clear();
    this.trusted.clear();
    for (const entry of snapshot.tokens) this.tokens.set(entry.token, { app: entry.app, namespace: entry.namespace });
    for (const app of snapshot.trusted) this.trusted.add(app);
    this.admin = snapshot.adminToken;
  }

  /** The application's token (made on first use), as `system:serviceaccount:<namespace>:<app>`. */
  tokenFor(app: string, namespace: string): string {
    for (const [token, who] of this.tokens) if (who.app === app && who.namespace === namespace) return token;
    const token = newToken();
    this.tokens.set(token, { app, namespace });
    return token;
  }

  trust(app: string, namespace: string): void {
    this.trusted.add(`${namespace}/${app}`);
  }

  untrust(app: string, namespace: string): void {
    this.trusted.delete(`${namespace}/${app}`);
  }

  isTrusted(app: string, namespace: string): boolean {
    return this.trusted.has(`${namespace}/${app}`);
  }

  /** Who sent `Authorization: Bearer <token>`; 401 when no token or an unknown one. */
  authenticate(header: string | undefined): Identity {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match) throw unauthorized();
    const token = match[1]!;
    if (sameToken(token, this.admin)) return { user: 'system:admin', app: undefined, namespace: undefined, admin: true };
    for (const [known, who] of this.tokens) {
      if (sameToken(token, known)) return { user: `system:serviceaccount:${who.namespace}:${who.app}`, app: who.app, namespace: who.namespace, admin: false };
    }
    throw unauthorized();
  }

  /** Undefined when allowed, else the 403 to answer. */
  authorize(identity: Identity, verb: Verb, resource: string, name: string | undefined, namespace: string | undefined): ApiStatusError | undefined {
    if (identity.admin) return undefined;
    if (this.trusted.has(`${identity.namespace}/${identity.app}`)) return undefined;
    const allowed = READ_ONLY[resource];
    const inScope = resource === 'nodes' || namespace === identity.namespace;
    if (allowed !== undefined && allowed.includes(verb) && inScope) return undefined;
    return forbidden(identity.user, verb, resource, name, namespace);
  }
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}

function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
