import type { Catalog } from "./catalog.js";

/** Built-in English templates; operators override single keys in `<overrideDir>/en.yaml`. */
export const en: Catalog = {
  "subject.quota.firing": [
    "Backup {{account}}: storage full around {{fullDate}} at its present growth",
    "Backup {{account}}: storage {{usedPercent}} full",
    "Backup {{account}}: storage almost full",
  ],
  "subject.quota.resolved": [
    "Backup {{account}}: storage no longer expected to be full around {{fullDate}}",
    "Backup {{account}}: storage back below the warning level",
  ],
  "subject.schedule.firing": [
    "Backup {{account}}: {{missed, plural, one {# planned backup missed} other {# planned backups missed}}}",
    "Backup {{account}}: no successful backup since {{lastSuccessDate}}",
    "Backup {{account}}: no successful backup for at least {{daysThreshold, plural, one {# day} other {# days}}}",
    "Backup {{account}}: planned backups missed",
  ],
  "subject.schedule.resolved": ["Backup {{account}}: backups run as planned again"],
  "subject.unsuccessful.firing": [
    "Backup {{account}}: {{failures, plural, one {# backup failed} other {# failed backups in a row}}}",
    "Backup {{account}}: backup failed",
  ],
  "subject.unsuccessful.resolved": ["Backup {{account}}: backups successful again"],
  "subject.upgrade.firing": [
    "Backup {{account}}: please update {{client}} {{clientVersion}}",
    "Backup {{account}}: please update the backup program",
  ],
  "subject.upgrade.resolved": ["Backup {{account}}: backup program up to date"],
  "subject.nobackup.firing": ["Backup {{account}}: no backup received yet"],
  "subject.unreadable.firing": [
    "Backup {{account}}: the backup program's status on {{host}} cannot be read",
    "Backup {{account}}: the backup program's status cannot be read",
  ],
  "subject.nobackup.resolved": ["Backup {{account}}: first backup received"],
  "subject.unreadable.resolved": ["Backup {{account}}: the backup program's status can be read again"],
  "subject.generic.firing": [
    "Backup {{account}}: {{summary}}",
    "Backup monitoring: {{summary}}",
    "Backup monitoring: {{alertname}}",
  ],
  "subject.generic.resolved": [
    "Resolved: backup {{account}}: {{summary}}",
    "Resolved: {{summary}}",
    "Resolved: {{alertname}}",
  ],
  "subject.coalesced.firing": ["{{count, plural, one {# backup problem} other {# backup problems}}}"],
  "subject.coalesced.resolved": [
    "{{count, plural, one {# backup problem solved} other {# backup problems solved}}}",
  ],
  "subject.coalesced.mixed": [
    "{{problems, plural, one {# backup problem} other {# backup problems}}}, {{solved, plural, other {# solved}}}",
  ],
  "title.quota.firing": [
    "Storage full around {{fullDate}}",
    "Storage {{usedPercent}} full",
    "Storage almost full",
  ],
  "title.quota.resolved": [
    "Storage no longer expected to be full around {{fullDate}}",
    "Storage back below the warning level",
  ],
  "title.schedule.firing": [
    "{{missed, plural, one {# planned backup missed} other {# planned backups missed}}}",
    "No recent successful backup",
  ],
  "title.schedule.resolved": ["Backups run as planned again"],
  "title.unsuccessful.firing": [
    "{{failures, plural, one {# backup failed} other {# failed backups in a row}}}",
    "Backup failed",
  ],
  "title.unsuccessful.resolved": ["Backups successful again"],
  "title.upgrade.firing": ["Backup program too old"],
  "title.upgrade.resolved": ["Backup program up to date"],
  "title.nobackup.firing": ["No backup received yet"],
  "title.unreadable.firing": ["Backup program's status cannot be read"],
  "title.nobackup.resolved": ["First backup received"],
  "title.unreadable.resolved": ["Backup program's status can be read again"],
  "title.generic.firing": ["{{summary}}", "{{alertname}}"],
  "title.generic.resolved": ["Resolved: {{summary}}", "Resolved: {{alertname}}"],
  "greeting.customer": ["Hello {{name}},", "Hello,"],
  "greeting.reseller": ["Hello,"],
  "greeting.operator": ["Hello,"],
  "intro.customer": ["The monitoring of your online backup reports the following:"],
  "intro.reseller": ["The monitoring of your customers' online backups reports the following:"],
  "intro.operator": ["The backup monitoring reports the following:"],
  "heading.customer": [
    "{{title}} (account {{account}}, computer {{host}})",
    "{{title}} (account {{account}})",
    "{{title}}",
  ],
  "heading.reseller": [
    "{{title}} (account {{account}} of {{customer}}, computer {{host}})",
    "{{title}} (account {{account}} of {{customer}})",
    "{{title}} (account {{account}}, computer {{host}})",
    "{{title}} (account {{account}})",
    "{{title}}",
  ],
  "heading.operator": [
    "{{title}} (account {{account}}, computer {{host}})",
    "{{title}} (account {{account}})",
    "{{title}} (computer {{host}})",
    "{{title}}",
  ],
  "facts.quota.firing": [
    "Storage used: {{usedGiB}} GiB of {{quotaGiB}} GiB ({{usedPercent}}).",
    "Warning level: {{warningPercent}}.",
    "At the growth of the last 30 days, the storage will be full around {{fullDate}}: new backups will then fail.",
  ],
  "facts.quota.resolved": ["Storage used now: {{usedGiB}} GiB of {{quotaGiB}} GiB ({{usedPercent}})."],
  "facts.schedule.firing": [
    "No successful backup for at least {{daysThreshold, plural, one {# day} other {# days}}}.",
    "Last successful backup: {{lastSuccess}}.",
    "Next planned backup: {{nextSchedule}}.",
  ],
  "facts.schedule.resolved": ["Last successful backup: {{lastSuccess}}."],
  "facts.unsuccessful.firing": ["Last successful backup: {{lastSuccess}}."],
  "facts.unsuccessful.resolved": ["Last successful backup: {{lastSuccess}}."],
  "facts.upgrade.firing": [
    "Installed: {{client}} {{clientVersion}}.",
    "Needed: version {{minimumVersion}} or newer.",
  ],
  "facts.upgrade.resolved": ["Installed now: {{client}} {{clientVersion}}."],
  "facts.nobackup.firing": ["Account created: {{created}}. No backup has been received since."],
  "facts.unreadable.firing": [
    "{{unreadableFiles, plural, one {# status file that the backup program wrote to the server could not be read} other {# status files that the backup program wrote to the server could not be read}}} (damaged, or in a format this monitoring does not know).",
  ],
  "facts.nobackup.resolved": [],
  "facts.unreadable.resolved": [],
  "facts.generic.firing": ["{{description}}", "Since: {{startsAt}}."],
  "facts.generic.resolved": ["{{description}}", "Resolved at: {{endsAt}}."],
  "facts.unknownAccount": [
    "Account {{account}} is not in the directory, so this notice goes to the operators.",
  ],
  "facts.undeliverable": [
    "Not delivered to the customer or reseller: {{reason}}. This notice goes to the operators instead.",
  ],
  "since.firing": [
    "For {{sinceDays, plural, one {# day} other {# days}}}, since {{since}}.",
    "For {{sinceHours, plural, one {# hour} other {# hours}}}, since {{since}}.",
    "Since {{since}}.",
  ],
  "why.quota": ["When the storage is full, new backups fail and recent changes are no longer protected."],
  "why.schedule": [
    "Without regular backups, whatever changed since the last backup is lost if the computer breaks or is stolen.",
  ],
  "why.unsuccessful": [
    "Files changed since the last successful backup are not protected until a backup succeeds again.",
  ],
  "why.upgrade": ["Old versions of the backup program get no fixes and may stop working with our servers."],
  "why.nobackup": ["Until a first backup has run, none of the files on the computer are protected."],
  "why.unreadable": ["So we cannot warn you when the backups of this computer fail."],
  "why.generic": [],
  "advice.quota": [
    "Delete old backups you no longer need in the backup program, or order more storage on your account page.",
  ],
  "advice.schedule": [
    "Make sure the computer is switched on and connected to the internet at the planned backup time.",
    "Open the backup program and check that planned backups are switched on; you can also start a backup right away.",
  ],
  "advice.unsuccessful": [
    "Open the backup program on the computer and read the report of the last backup: it says which files or which problem stopped it.",
    "Then start a backup by hand. If it fails again, contact us and tell us what the report says.",
  ],
  "advice.upgrade": [
    "Download the current backup program: {{downloadUrl}}",
    "Install it on the computer over the old version; your settings and backups are kept.",
  ],
  "advice.nobackup": [
    "Install the backup program on the computer you want to protect and sign in with account {{account}}.",
    "Start a first backup; after that, backups run at the planned times by themselves.",
  ],
  "advice.unreadable": [
    "Update the backup program on the computer to the current version, or install it again; your settings and backups are kept.",
  ],
  "advice.generic": [],
  "ask.quota": [
    "Please ask {{customer}} ({{contact}}) to delete old backups they no longer need, or offer them more storage.",
    "Please ask {{customer}} to delete old backups they no longer need, or offer them more storage.",
    "Please ask your customer to delete old backups they no longer need, or offer them more storage.",
  ],
  "ask.schedule": [
    "Please ask {{customer}} ({{contact}}) to switch the computer on at the planned time and check that planned backups are on in the backup program.",
    "Please ask {{customer}} to switch the computer on at the planned time and check that planned backups are on in the backup program.",
    "Please ask your customer to switch the computer on at the planned time and check that planned backups are on in the backup program.",
  ],
  "ask.unsuccessful": [
    "Please ask {{customer}} ({{contact}}) for the report of the last backup in the backup program, which names the problem.",
    "Please ask {{customer}} for the report of the last backup in the backup program, which names the problem.",
    "Please ask your customer for the report of the last backup in the backup program, which names the problem.",
  ],
  "ask.upgrade": [
    "Please ask {{customer}} ({{contact}}) to install the current backup program, or install it for them: {{downloadUrl}}",
    "Please ask {{customer}} to install the current backup program, or install it for them: {{downloadUrl}}",
    "Please ask your customer to install the current backup program, or install it for them: {{downloadUrl}}",
  ],
  "ask.nobackup": [
    "Please ask {{customer}} ({{contact}}) whether the account is still needed, and if so to install the backup program and start a first backup.",
    "Please ask {{customer}} whether the account is still needed, and if so to install the backup program and start a first backup.",
    "Please ask your customer whether the account is still needed, and if so to install the backup program and start a first backup.",
  ],
  "ask.unreadable": [
    "Please ask {{customer}} ({{contact}}) to update or reinstall the backup program, or do it for them.",
    "Please ask {{customer}} to update or reinstall the backup program, or do it for them.",
    "Please ask your customer to update or reinstall the backup program, or do it for them.",
  ],
  "ask.generic": [],
  "label.steps": ["What to do:"],
  "button.account": ["Open account {{account}}", "Open the backup portal"],
  "link.account": ["Open account {{account}}: {{accountUrl}}"],
  "footer.customer": [
    "You receive this mail because backup warnings are switched on for your account.",
    "You can change this at {{settingsUrl}}",
    "Your backup team",
  ],
  "footer.reseller": ["You receive this mail as the reseller of these accounts.", "Your backup team"],
  "footer.operator": ["stoney backup monitor"],
  "subject.quota.changed": [
    "Backup {{account}}: warning level now {{warningPercent}}, {{usedPercent}} used",
    "Backup {{account}}: storage warning switched off, {{usedPercent}} used",
  ],
  "title.quota.changed": ["Warning level raised to {{warningPercent}}", "Storage warning switched off"],
  "facts.quota.changed": [
    "Storage used now: {{usedGiB}} GiB of {{quotaGiB}} GiB ({{usedPercent}}).",
    "Warning level now: {{warningPercent}}. You will be warned again when more than that is used.",
  ],
  "subject.schedule.changed": [
    "Backup {{account}}: warning level changed, still no successful backup since {{lastSuccessDate}}",
    "Backup {{account}}: warning level changed, still no successful backup",
  ],
  "title.schedule.changed": ["Warning level for missed backups changed"],
  "facts.schedule.changed": [
    "You will now be warned after {{threshold, plural, one {# missed backup} other {# missed backups}}}.",
    "You will now be warned after {{daysThreshold, plural, one {# day} other {# days}}} without a successful backup.",
    "No backup has succeeded since the warning. Last successful backup: {{lastSuccess}}.",
  ],
  "subject.unsuccessful.changed": [
    "Backup {{account}}: warning level changed, still no successful backup since {{lastSuccessDate}}",
    "Backup {{account}}: warning level changed, still no successful backup",
  ],
  "title.unsuccessful.changed": ["Warning level for failed backups changed"],
  "facts.unsuccessful.changed": [
    "You will now be warned after {{threshold, plural, one {# failed backup} other {# failed backups in a row}}}.",
    "No backup has succeeded since the warning. Last successful backup: {{lastSuccess}}.",
  ],
  "subject.unconfirmed": [
    "Backup {{account}}: problem no longer reported",
    "Backup monitoring: problem no longer reported",
  ],
  "title.unconfirmed": ["No longer reported: {{title}}"],
  "facts.unconfirmed": [
    "The monitoring stopped reporting this problem on {{endsAt}}.",
    "We could not check the current state of the backup, so we cannot confirm yet that the problem is solved.",
  ],
  "intro.partial": ["{{solved, plural, other {# solved}}}, {{problems, plural, other {# still open}}}."],
  "intro.stillOpen": ["Still open:"],
};
