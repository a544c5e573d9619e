import type { InboxDatabase, OutboxDatabase } from "@souk/messaging";
import type { ColumnType, Generated } from "kysely";
import type { DeliveryChannel, DeliveryStatus } from "../domain/delivery.ts";
import type { NotificationEventData } from "../domain/notification-event.ts";

interface WebhookEndpointsTable {
  id: string;
  url: string;
  secret: string;
  event_types: string[];
  active: Generated<boolean>;
  created_at: Date;
  deactivated_at: Date | null;
}

interface EventsTable {
  event_id: string;
  type: string;
  order_id: string;
  user_id: string;
  occurred_at: Date;
  /** Written as JSON text, read back parsed. */
  data: ColumnType<NotificationEventData, string, string>;
  received_at: Generated<Date>;
}

interface DeliveriesTable {
  id: string;
  event_id: string;
  event_type: string;
  order_id: string;
  channel: DeliveryChannel;
  endpoint_id: string | null;
  status: DeliveryStatus;
  attempts: Generated<number>;
  last_error: string | null;
  leased_until: Date | null;
  last_activity_at: Date;
  created_at: Date;
  sent_at: Date | null;
}

interface DeadLettersTable {
  id: string;
  job_id: string;
  delivery_id: string | null;
  queue: string;
  reason: string;
  attempts: number;
  failed_at: Date;
  replayed_at: Date | null;
}

/** The `notifications` schema as Kysely sees it (with the messaging outbox and inbox). */
export interface NotificationsDatabase extends OutboxDatabase, InboxDatabase {
  webhook_endpoints: WebhookEndpointsTable;
  events: EventsTable;
  deliveries: DeliveriesTable;
  dead_letters: DeadLettersTable;
}
