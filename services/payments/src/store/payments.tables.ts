import type { InboxDatabase, OutboxDatabase } from "@souk/messaging";
import type { Generated, Kysely, Transaction } from "kysely";
import type { CardBrand } from "../domain/card.ts";
import type { FraudRule } from "../domain/fraud.ts";
import type { LedgerAccount, LedgerKind } from "../domain/ledger.ts";
import type { FailureCode, PaymentStatus } from "../domain/payment.ts";
import type { RiskLevel } from "../domain/payment-provider.ts";
import type { SimulatedBehaviour } from "../provider/test-cards.ts";

interface PaymentMethodsTable {
  id: string;
  user_id: string;
  brand: CardBrand;
  last4: string;
  exp_month: number;
  exp_year: number;
  fingerprint: string;
  provider_token: string;
  created_at: Generated<Date>;
}

interface PaymentsTable {
  id: string;
  order_id: string;
  user_id: string;
  payment_method_id: string;
  amount_minor: number;
  currency: string;
  status: PaymentStatus;
  /** Check constraints admit only the domain's codes and levels. */
  failure_code: FailureCode | null;
  authorization_id: string | null;
  risk_level: RiskLevel | null;
  lease_until: Date;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

interface FraudDecisionsTable {
  id: Generated<number>;
  payment_id: string;
  rule: FraudRule;
  outcome: "pass" | "block";
  /** jsonb: written as JSON text, read back as an object. */
  details: unknown;
  decided_at: Date;
}

interface VelocityAttemptsTable {
  user_id: string;
  attempt_id: string;
  attempted_at: Date;
}

interface BlockedCardsTable {
  fingerprint: string;
  reason: string;
  blocked_at: Date;
}

interface LedgerTransactionsTable {
  id: string;
  payment_id: string;
  kind: LedgerKind;
  currency: string;
  created_at: Date;
}

interface LedgerEntriesTable {
  id: Generated<number>;
  transaction_id: string;
  account: LedgerAccount;
  direction: "debit" | "credit";
  amount_minor: number;
}

interface LedgerAccountsTable {
  account: LedgerAccount;
  currency: string;
  debit_minor: Generated<number>;
  credit_minor: Generated<number>;
}

interface SimulatorVaultTable {
  token: string;
  behaviour: SimulatedBehaviour;
  created_at: Generated<Date>;
}

/** The `payments` schema as Kysely sees it (see `migrations.ts`). */
export interface PaymentsDatabase extends OutboxDatabase, InboxDatabase {
  payment_methods: PaymentMethodsTable;
  payments: PaymentsTable;
  fraud_decisions: FraudDecisionsTable;
  velocity_attempts: VelocityAttemptsTable;
  blocked_cards: BlockedCardsTable;
  ledger_transactions: LedgerTransactionsTable;
  ledger_entries: LedgerEntriesTable;
  ledger_accounts: LedgerAccountsTable;
  simulator_vault: SimulatorVaultTable;
}

/** A handle on the payments schema, inside a transaction or not. */
export type PaymentsDb = Kysely<PaymentsDatabase> | Transaction<PaymentsDatabase>;
