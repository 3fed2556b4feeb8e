CREATE TABLE `canned_replies` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`title` text NOT NULL,
	`body` text NOT NULL,
	`created_by` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE TABLE `help_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`thread_id` integer NOT NULL,
	`type` text NOT NULL,
	`actor_id` integer,
	`message_id` integer,
	`staff_only` integer DEFAULT false NOT NULL,
	`payload` text DEFAULT '{}' NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`thread_id`) REFERENCES `help_threads`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`actor_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`message_id`) REFERENCES `help_messages`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `help_events_thread_idx` ON `help_events` (`thread_id`,`id`);--> statement-breakpoint
CREATE TABLE `help_messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`thread_id` integer NOT NULL,
	`kind` text NOT NULL,
	`author_id` integer,
	`body` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`thread_id`) REFERENCES `help_threads`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`author_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `help_messages_thread_idx` ON `help_messages` (`thread_id`,`id`);--> statement-breakpoint
CREATE TABLE `help_reads` (
	`thread_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	`last_read_message_id` integer NOT NULL,
	PRIMARY KEY(`thread_id`, `user_id`),
	FOREIGN KEY (`thread_id`) REFERENCES `help_threads`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `help_threads` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`candidate_id` integer NOT NULL,
	`exam_id` integer,
	`room_id` integer,
	`category` text NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`agent_id` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`queued_at` integer NOT NULL,
	`first_response_at` integer,
	`resolved_at` integer,
	`last_message_at` integer NOT NULL,
	FOREIGN KEY (`candidate_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`exam_id`) REFERENCES `exams`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`room_id`) REFERENCES `exam_rooms`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`agent_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `help_threads_status_idx` ON `help_threads` (`status`,`queued_at`);--> statement-breakpoint
CREATE INDEX `help_threads_candidate_idx` ON `help_threads` (`candidate_id`,`id`);--> statement-breakpoint
CREATE INDEX `help_threads_agent_idx` ON `help_threads` (`agent_id`,`status`);--> statement-breakpoint
CREATE INDEX `help_threads_room_idx` ON `help_threads` (`room_id`,`status`);--> statement-breakpoint
CREATE TABLE `support_agents` (
	`user_id` integer PRIMARY KEY NOT NULL,
	`capacity` integer DEFAULT 5 NOT NULL,
	`accepting` integer DEFAULT true NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `message_receipts` ADD `delivered_at` integer;--> statement-breakpoint
CREATE INDEX `message_receipts_candidate_idx` ON `message_receipts` (`candidate_id`);