ALTER TABLE `device_checks` ADD `speakers_ok` integer;--> statement-breakpoint
ALTER TABLE `exams` ADD `device_check_required` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `exams` ADD `phone_witness_required` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `exams` ADD `camera_recheck_on_return` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `exams` ADD `instructions_caption` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `registrations` ADD `notice_read_at` integer;--> statement-breakpoint
ALTER TABLE `support_agents` ADD `lead` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `process_seen_at` integer;