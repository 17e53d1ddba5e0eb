CREATE TABLE "fallback_stats_hourly" (
	"hour" timestamp with time zone NOT NULL,
	"provider" varchar(50) NOT NULL,
	"reason" varchar(50) NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "fallback_stats_hourly_hour_provider_reason_pk" PRIMARY KEY("hour","provider","reason")
);
--> statement-breakpoint
CREATE TABLE "run_stats_hourly" (
	"hour" timestamp with time zone NOT NULL,
	"provider" varchar(50) NOT NULL,
	"status" varchar(20) NOT NULL,
	"runs" integer NOT NULL,
	"repaired" integer NOT NULL,
	"guarded" integer NOT NULL,
	"fell_back" integer NOT NULL,
	"prompt_tokens" bigint NOT NULL,
	"completion_tokens" bigint NOT NULL,
	"latency_buckets" integer[] NOT NULL,
	CONSTRAINT "run_stats_hourly_hour_provider_status_pk" PRIMARY KEY("hour","provider","status")
);
--> statement-breakpoint
-- Written by hand: the runs recorded before this migration, summed into their hours (the service adds each new run
-- in the transaction that records it). Buckets as LATENCY_BUCKETS_MS in src/db/schema.ts.
INSERT INTO "run_stats_hourly" ("hour", "provider", "status", "runs", "repaired", "guarded", "fell_back",
                                "prompt_tokens", "completion_tokens", "latency_buckets")
SELECT date_trunc('hour', "created_at"), coalesce("provider", ''), "status", count(*),
       count(*) FILTER (WHERE "repaired"),
       count(*) FILTER (WHERE jsonb_array_length("guard_interventions") > 0),
       count(*) FILTER (WHERE jsonb_array_length("fallback_reasons") > 0),
       coalesce(sum("prompt_tokens") FILTER (WHERE "provider" = 'groq'), 0),
       coalesce(sum("completion_tokens") FILTER (WHERE "provider" = 'groq'), 0),
       ARRAY[count(*) filter (where t <= 250),
         count(*) filter (where t > 250 and t <= 500),
         count(*) filter (where t > 500 and t <= 1000),
         count(*) filter (where t > 1000 and t <= 2000),
         count(*) filter (where t > 2000 and t <= 3000),
         count(*) filter (where t > 3000 and t <= 5000),
         count(*) filter (where t > 5000 and t <= 8000),
         count(*) filter (where t > 8000 and t <= 12000),
         count(*) filter (where t > 12000 and t <= 20000),
         count(*) filter (where t > 20000 and t <= 30000),
         count(*) filter (where t > 30000 and t <= 60000),
         count(*) filter (where t > 60000)]::int[]
  FROM (SELECT *, ("timings"->>'totalMs')::float8 AS t FROM "triage_runs") r
 GROUP BY 1, 2, 3;--> statement-breakpoint
INSERT INTO "fallback_stats_hourly" ("hour", "provider", "reason", "count")
SELECT date_trunc('hour', "created_at"), f->>'provider', f->>'reason', count(*)
  FROM "triage_runs", jsonb_array_elements("fallback_reasons") f
 GROUP BY 1, 2, 3;
