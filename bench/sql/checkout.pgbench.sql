-- One checkout's SQL, for pgbench (-M extended, like node-postgres: every statement parsed,
-- bound and executed unnamed). Captured with log_statement=all on the distributed topology's
-- PostgreSQL during one POST /v1/checkout with an approved card (identical SQL runs on PGlite in
-- the embedded topology), in the order the saga runs it: orders, payments and inventory each on
-- their own connection there, all on one connection here. Captured again on 2026-11-25 after a
-- saga step became one statement: the outbox rows written in the checkout's own transactions are
-- in; what happens after them asynchronously (the outbox relays' passes, the event consumers in
-- payments, notifications and analytics) is not, nor the saga's gRPC hops, Redis (cart, fraud
-- velocity) and the recovery loops' polling.
-- Variables: :stocked (number of rows of bench.stocked_skus) comes from pgbench -D.
\set p random(1, :stocked)
\set amount random(500, 20000)
-- Ids the services make in process (UUIDv7 there), and one stocked SKU.
select gen_random_uuid()::text as order_id, gen_random_uuid()::text as user_id,
       gen_random_uuid()::text as method_id, gen_random_uuid()::text as payment_id,
       gen_random_uuid()::text as auth_tx, gen_random_uuid()::text as capture_tx,
       gen_random_uuid()::text as idem_key, md5(random()::text) || md5(random()::text) as fp,
       'tok_sim_' || md5(random()::text) as token, gen_random_uuid()::text as placed_ev,
       gen_random_uuid()::text as confirmed_ev, gen_random_uuid()::text as authorized_ev,
       gen_random_uuid()::text as captured_ev, sku, product_id, name
  from bench.stocked_skus where n = :p \gset
-- orders: Checkout — has this Idempotency-Key been seen?
select * from "orders"."orders" where "user_id" = :user_id and "idempotency_key" = :idem_key;
-- payments: tokenize the card (simulator vault) and save the payment method
insert into "payments"."simulator_vault" ("token", "behaviour", "created_at") values (:token, 'approve', now());
insert into "payments"."payment_methods" ("id", "user_id", "brand", "last4", "exp_month", "exp_year", "fingerprint", "provider_token") values (:method_id, :user_id, 'visa', '4242', 12, 2099, :fp, :token);
-- orders: write the order PENDING with its lines
begin;
insert into "orders"."orders" ("id", "user_id", "status", "total_minor", "currency", "shipping_address", "payment_method_id", "idempotency_key", "request_fingerprint", "cancellation_reason", "saga_phase", "saga_step", "saga_attempts", "next_attempt_at", "lease_owner", "lease_until", "created_at", "updated_at") values (:order_id, :user_id, 'PENDING', :amount, 'USD', '{"city": "Paris", "name": "Bench Shopper", "line1": "1 Load Street", "country": "FR", "postalCode": "75001"}', :method_id, :idem_key, :fp, NULL, 'forward', 0, 0, now(), 'bench', now() + interval '15 seconds', now(), now()) on conflict ("user_id", "idempotency_key") do nothing returning "id";
insert into "orders"."order_lines" ("order_id", "line_no", "product_id", "sku", "name", "quantity", "unit_price_minor", "line_total_minor", "currency") values (:order_id, 1, :product_id, :sku, :name, 1, :amount, :amount, 'USD');
insert into "orders"."outbox" ("id", "destination", "source", "type", "subject", "time", "datacontenttype", "dataschema", "data", "traceparent", "tracestate") values (:placed_ev, 'souk.orders.v1', '/souk/orders', 'souk.order.placed.v1', :order_id, now(), 'application/protobuf', 'proto' || chr(58) || 'souk.events.v1.OrderPlaced', decode(repeat('0a2430316132313462612d37', 16), 'hex'), '00-66aaefe4fca97083fc059eccce88e99c-26b743dec080ab6a-00', NULL);
commit;
-- orders: take the saga's lease (checkout hands the saga its order: the lines are not read again)
update "orders"."orders" set "lease_owner" = 'bench', "lease_until" = now() + interval '15 seconds' where "id" = :order_id and "saga_phase" <> 'done' and ("lease_until" is null or "lease_until" < now() or "lease_owner" = 'bench') returning *;
-- inventory: Reserve
begin;
insert into "inventory"."reservations" ("order_id", "status", "expires_at") values (:order_id, 'HELD', now() + interval '15 minutes') on conflict ("order_id") do nothing returning *;
update "inventory"."stock" set "reserved" = reserved + 1, "updated_at" = now() where "sku" = :sku and on_hand - reserved >= 1;
insert into "inventory"."reservation_lines" ("order_id", "sku", "quantity") values (:order_id, :sku, 1);
commit;
-- orders: saga step reserve_stock done (status kept: one statement, no transaction)
with "before" as (select "id", "status" from "orders"."orders" where "id" = :order_id for update), "upd" as (update "orders"."orders" set "status" = 'PENDING', "cancellation_reason" = NULL, "saga_phase" = 'forward', "saga_step" = 1, "saga_attempts" = 0, "next_attempt_at" = now(), "lease_until" = now() + interval '15 seconds', "updated_at" = now() from "before" where "orders"."orders"."id" = "before"."id" and "orders"."orders"."lease_owner" = 'bench' and "before"."status" = 'PENDING' returning "orders"."orders".*, "before"."status" as "previous_status"), "log" as (insert into "orders"."saga_log" ("order_id", "action", "outcome", "detail", "phase_after", "status_after", "at") select "upd"."id", 'reserve_stock'::text as "action", 'ok'::text as "outcome", NULL::text as "detail", "upd"."saga_phase", "upd"."status", "upd"."updated_at" from "upd") select * from "upd";
-- payments: Authorize — the payment row, the method, fraud checks
select * from "payments"."payments" where "order_id" = :order_id;
select * from "payments"."payment_methods" where "id" = :method_id;
insert into "payments"."payments" ("id", "order_id", "user_id", "payment_method_id", "amount_minor", "currency", "status", "lease_until") values (:payment_id, :order_id, :user_id, :method_id, :amount, 'USD', 'PENDING', now() + interval '30 seconds') on conflict ("order_id") do nothing returning *;
select * from "payments"."payment_methods" where "id" = :method_id;
select "fingerprint" from "payments"."blocked_cards" where "fingerprint" = :fp;
select "behaviour" from "payments"."simulator_vault" where "token" = :token;
begin;
update "payments"."payments" set "status" = 'AUTHORIZED', "failure_code" = NULL, "authorization_id" = 'auth_sim_bench', "risk_level" = 'normal', "updated_at" = now() where "id" = :payment_id and "status" = 'PENDING' returning *;
insert into "payments"."fraud_decisions" ("payment_id", "rule", "outcome", "details", "decided_at") values (:payment_id, 'amount_threshold', 'pass', '{"amountMinor": 2999, "maxAmountMinor": 500000}', now()), (:payment_id, 'velocity', 'pass', '{"windowMs": 600000, "velocityMax": 10, "attemptsInWindow": 1}', now()), (:payment_id, 'blocked_card', 'pass', '{"cardBlocked": false}', now()), (:payment_id, 'provider_risk', 'pass', '{"riskLevel": "normal", "declineCode": null, "providerOutcome": "approved"}', now());
insert into "payments"."ledger_transactions" ("id", "payment_id", "kind", "currency", "created_at") values (:auth_tx, :payment_id, 'authorize', 'USD', now());
insert into "payments"."ledger_entries" ("transaction_id", "account", "direction", "amount_minor") values (:auth_tx, 'customer_authorizations', 'debit', :amount), (:auth_tx, 'authorizations_outstanding', 'credit', :amount);
insert into "payments"."ledger_accounts" ("account", "currency", "debit_minor", "credit_minor") values ('authorizations_outstanding', 'USD', 0, :amount), ('customer_authorizations', 'USD', :amount, 0) on conflict ("account", "currency") do update set "debit_minor" = ledger_accounts.debit_minor + excluded.debit_minor, "credit_minor" = ledger_accounts.credit_minor + excluded.credit_minor;
insert into "payments"."outbox" ("id", "destination", "source", "type", "subject", "time", "datacontenttype", "dataschema", "data", "traceparent", "tracestate") values (:authorized_ev, 'souk.payments.v1', '/souk/payments', 'souk.payment.authorized.v1', :order_id, now(), 'application/protobuf', 'proto' || chr(58) || 'souk.events.v1.PaymentChanged', decode(repeat('0a2430316132313462612d37', 11), 'hex'), '00-66aaefe4fca97083fc059eccce88e99c-26b743dec080ab6a-00', NULL);
commit;
-- orders: saga step authorize_payment done
with "before" as (select "id", "status" from "orders"."orders" where "id" = :order_id for update), "upd" as (update "orders"."orders" set "status" = 'PENDING', "cancellation_reason" = NULL, "saga_phase" = 'forward', "saga_step" = 2, "saga_attempts" = 0, "next_attempt_at" = now(), "lease_until" = now() + interval '15 seconds', "updated_at" = now() from "before" where "orders"."orders"."id" = "before"."id" and "orders"."orders"."lease_owner" = 'bench' and "before"."status" = 'PENDING' returning "orders"."orders".*, "before"."status" as "previous_status"), "log" as (insert into "orders"."saga_log" ("order_id", "action", "outcome", "detail", "phase_after", "status_after", "at") select "upd"."id", 'authorize_payment'::text as "action", 'ok'::text as "outcome", NULL::text as "detail", "upd"."saga_phase", "upd"."status", "upd"."updated_at" from "upd") select * from "upd";
-- inventory: Commit the reservation
select * from "inventory"."reservations" where "order_id" = :order_id;
select "sku", "quantity" from "inventory"."reservation_lines" where "order_id" = :order_id order by "sku";
begin;
update "inventory"."reservations" set "status" = 'COMMITTED', "updated_at" = now() where "order_id" = :order_id and "status" = 'HELD' returning *;
select "sku", "quantity" from "inventory"."reservation_lines" where "order_id" = :order_id order by "sku";
update "inventory"."stock" set "on_hand" = on_hand + -1, "reserved" = reserved + -1, "updated_at" = now() where "sku" = :sku;
commit;
-- orders: CONFIRMED (commit_stock done): the status changes, so its event goes in the same transaction
begin;
with "before" as (select "id", "status" from "orders"."orders" where "id" = :order_id for update), "upd" as (update "orders"."orders" set "status" = 'CONFIRMED', "cancellation_reason" = NULL, "saga_phase" = 'capturing', "saga_step" = 0, "saga_attempts" = 0, "next_attempt_at" = now(), "lease_until" = now() + interval '15 seconds', "updated_at" = now() from "before" where "orders"."orders"."id" = "before"."id" and "orders"."orders"."lease_owner" = 'bench' returning "orders"."orders".*, "before"."status" as "previous_status"), "log" as (insert into "orders"."saga_log" ("order_id", "action", "outcome", "detail", "phase_after", "status_after", "at") select "upd"."id", 'commit_stock'::text as "action", 'ok'::text as "outcome", NULL::text as "detail", "upd"."saga_phase", "upd"."status", "upd"."updated_at" from "upd") select * from "upd";
insert into "orders"."outbox" ("id", "destination", "source", "type", "subject", "time", "datacontenttype", "dataschema", "data", "traceparent", "tracestate") values (:confirmed_ev, 'souk.orders.v1', '/souk/orders', 'souk.order.confirmed.v1', :order_id, now(), 'application/protobuf', 'proto' || chr(58) || 'souk.events.v1.OrderConfirmed', decode(repeat('0a2430316132313462612d37', 16), 'hex'), '00-66aaefe4fca97083fc059eccce88e99c-26b743dec080ab6a-00', NULL);
commit;
-- payments: Capture
select * from "payments"."payments" where "order_id" = :order_id;
begin;
update "payments"."payments" set "status" = 'CAPTURED', "updated_at" = now() where "id" = :payment_id and "status" = 'AUTHORIZED' returning *;
insert into "payments"."ledger_transactions" ("id", "payment_id", "kind", "currency", "created_at") values (:capture_tx, :payment_id, 'capture', 'USD', now());
insert into "payments"."ledger_entries" ("transaction_id", "account", "direction", "amount_minor") values (:capture_tx, 'authorizations_outstanding', 'debit', :amount), (:capture_tx, 'customer_authorizations', 'credit', :amount), (:capture_tx, 'psp_receivable', 'debit', :amount), (:capture_tx, 'sales_revenue', 'credit', :amount);
insert into "payments"."ledger_accounts" ("account", "currency", "debit_minor", "credit_minor") values ('authorizations_outstanding', 'USD', :amount, 0), ('customer_authorizations', 'USD', 0, :amount), ('psp_receivable', 'USD', :amount, 0), ('sales_revenue', 'USD', 0, :amount) on conflict ("account", "currency") do update set "debit_minor" = ledger_accounts.debit_minor + excluded.debit_minor, "credit_minor" = ledger_accounts.credit_minor + excluded.credit_minor;
insert into "payments"."outbox" ("id", "destination", "source", "type", "subject", "time", "datacontenttype", "dataschema", "data", "traceparent", "tracestate") values (:captured_ev, 'souk.payments.v1', '/souk/payments', 'souk.payment.captured.v1', :order_id, now(), 'application/protobuf', 'proto' || chr(58) || 'souk.events.v1.PaymentChanged', decode(repeat('0a2430316132313462612d37', 11), 'hex'), '00-66aaefe4fca97083fc059eccce88e99c-26b743dec080ab6a-00', NULL);
commit;
-- orders: capture_payment done
with "before" as (select "id", "status" from "orders"."orders" where "id" = :order_id for update), "upd" as (update "orders"."orders" set "status" = 'CONFIRMED', "cancellation_reason" = NULL, "saga_phase" = 'capturing', "saga_step" = 1, "saga_attempts" = 0, "next_attempt_at" = now(), "lease_until" = now() + interval '15 seconds', "updated_at" = now() from "before" where "orders"."orders"."id" = "before"."id" and "orders"."orders"."lease_owner" = 'bench' and "before"."status" = 'CONFIRMED' returning "orders"."orders".*, "before"."status" as "previous_status"), "log" as (insert into "orders"."saga_log" ("order_id", "action", "outcome", "detail", "phase_after", "status_after", "at") select "upd"."id", 'capture_payment'::text as "action", 'ok'::text as "outcome", NULL::text as "detail", "upd"."saga_phase", "upd"."status", "upd"."updated_at" from "upd") select * from "upd";
-- orders: clear_cart done (the cart itself is in Redis or cart's schema: not this script's)
with "before" as (select "id", "status" from "orders"."orders" where "id" = :order_id for update), "upd" as (update "orders"."orders" set "status" = 'CONFIRMED', "cancellation_reason" = NULL, "saga_phase" = 'done', "saga_step" = 0, "saga_attempts" = 0, "next_attempt_at" = now(), "lease_until" = now() + interval '15 seconds', "updated_at" = now() from "before" where "orders"."orders"."id" = "before"."id" and "orders"."orders"."lease_owner" = 'bench' and "before"."status" = 'CONFIRMED' returning "orders"."orders".*, "before"."status" as "previous_status"), "log" as (insert into "orders"."saga_log" ("order_id", "action", "outcome", "detail", "phase_after", "status_after", "at") select "upd"."id", 'clear_cart'::text as "action", 'ok'::text as "outcome", NULL::text as "detail", "upd"."saga_phase", "upd"."status", "upd"."updated_at" from "upd") select * from "upd";
-- orders: release the lease, answer the order
update "orders"."orders" set "lease_owner" = NULL, "lease_until" = NULL where "id" = :order_id and "lease_owner" = 'bench';
select * from "orders"."orders" where "id" = :order_id;
select * from "orders"."order_lines" where "order_id" in (:order_id) order by "order_id", "line_no";
