import { type Role } from './role';

/** Who made a call, for authorisation and audit rows. */
export interface CallerIdentity {
  readonly tokenId: string;
  readonly team: string;
  readonly roles: readonly Role[];
}
