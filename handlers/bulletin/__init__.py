"""The leadership bulletin (动态) of a period (issue 15 item 4): built from the period's tickets and
visit notes, archived, written as Markdown, .docx or PDF, sent on a schedule and on demand."""
