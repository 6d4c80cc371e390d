/** The Workplace posture checks, in catalogue order. */
import type { PostureCheck } from '../../check.ts';
import { adoptSso } from './adopt-sso.ts';
import { adminsSso } from './admins-sso.ts';
import { noInactiveAdmins } from './no-inactive-admins.ts';
import { dormantAccounts } from './dormant-accounts.ts';
import { staleInvitations } from './stale-invitations.ts';
import { adminTwoFactorDisabled } from './admin-two-factor-disabled.ts';
import { customIntegrationsReviewed } from './custom-integrations-reviewed.ts';
import { externalAccounts } from './external-accounts.ts';
import { passwordTwoFactor } from './password-two-factor.ts';

export const WORKPLACE_CHECKS: readonly PostureCheck[] = [
  adoptSso,
  adminsSso,
  noInactiveAdmins,
  dormantAccounts,
  staleInvitations,
  adminTwoFactorDisabled,
  customIntegrationsReviewed,
  externalAccounts,
  passwordTwoFactor,
];
