CREATE TABLE `phone_bindings` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`candidate_id` integer NOT NULL,
	`exam_id` integer NOT NULL,
	`token_hash` text NOT NULL,
	`code` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	FOREIGN KEY (`candidate_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`exam_id`) REFERENCES `exams`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `phone_bindings_token_uq` ON `phone_bindings` (`token_hash`);--> statement-breakpoint
CREATE INDEX `phone_bindings_code_idx` ON `phone_bindings` (`code`,`expires_at`);--> statement-breakpoint
CREATE INDEX `phone_bindings_candidate_idx` ON `phone_bindings` (`candidate_id`,`exam_id`);--> statement-breakpoint
CREATE TABLE `phone_devices` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`candidate_id` integer NOT NULL,
	`exam_id` integer NOT NULL,
	`binding_id` integer,
	`session_hash` text NOT NULL,
	`user_agent` text,
	`bound_at` integer NOT NULL,
	`revoked_at` integer,
	`revoke_reason` text,
	`battery_level` real,
	`battery_charging` integer,
	`last_seen_at` integer,
	FOREIGN KEY (`candidate_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`exam_id`) REFERENCES `exams`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`binding_id`) REFERENCES `phone_bindings`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `phone_devices_session_uq` ON `phone_devices` (`session_hash`);--> statement-breakpoint
CREATE INDEX `phone_devices_candidate_idx` ON `phone_devices` (`candidate_id`,`exam_id`);--> statement-breakpoint
CREATE TABLE `recording_chunks` (
	`recording_id` integer NOT NULL,
	`seq` integer NOT NULL,
	`size` integer NOT NULL,
	`sha256` text NOT NULL,
	`offset_ms` integer,
	`path` text NOT NULL,
	`received_at` integer NOT NULL,
	PRIMARY KEY(`recording_id`, `seq`),
	FOREIGN KEY (`recording_id`) REFERENCES `recordings`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `recordings` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`candidate_id` integer NOT NULL,
	`exam_id` integer NOT NULL,
	`track` text NOT NULL,
	`client_key` text NOT NULL,
	`mime_type` text NOT NULL,
	`started_at` integer NOT NULL,
	`expected_chunks` integer,
	`ended_at` integer,
	`received_chunks` integer DEFAULT 0 NOT NULL,
	`received_bytes` integer DEFAULT 0 NOT NULL,
	`completed_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`candidate_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`exam_id`) REFERENCES `exams`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `recordings_client_key_uq` ON `recordings` (`candidate_id`,`client_key`);--> statement-breakpoint
CREATE INDEX `recordings_exam_idx` ON `recordings` (`exam_id`,`candidate_id`);