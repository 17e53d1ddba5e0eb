ALTER TABLE "processed_tickets" DROP CONSTRAINT "processed_tickets_portal_ticket_key";--> statement-breakpoint
DROP INDEX "idx_processed_tickets_ticket";--> statement-breakpoint
DROP INDEX "idx_provider";--> statement-breakpoint
DROP INDEX "idx_status";--> statement-breakpoint
CREATE INDEX "idx_provider" ON "processed_tickets" USING btree ("provider") WHERE "processed_tickets"."provider" is not null;--> statement-breakpoint
CREATE INDEX "idx_status" ON "processed_tickets" USING btree ("status") WHERE "processed_tickets"."status" in ('processing', 'failed');--> statement-breakpoint
ALTER TABLE "processed_tickets" ADD CONSTRAINT "processed_tickets_ticket_portal_key" UNIQUE NULLS NOT DISTINCT("ticket_id","portal_id");