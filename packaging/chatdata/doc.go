// Package chatdata validates fine-tuning data in the chat JSONL format that
// mistral-finetune and the OpenAI-style trainers read, and measures it.
//
// Each non-blank line is one sample: a JSON object with "messages", a list of
// messages whose role is system, user, assistant or tool. A sample must end
// with an assistant message (the loss is computed on assistant tokens). A
// message carries non-empty "content" (a string, or a list of chunks with
// "text"; mistral-finetune's "text" key is accepted too), except an
// assistant message that makes tool calls. Every tool call has an "id" and a
// "function" with a "name" and "arguments", a string holding a JSON value;
// every tool message answers, by "tool_call_id", a call made earlier in the
// same sample. An optional "tools" list declares functions (each with a
// name, a description and an object of parameters). Splits must not share a
// sample: samples are compared by the sha256 of their messages in canonical
// JSON (keys sorted), so formatting and key order do not hide a copy.
//
// Every issue names the file and the line. Lengths are estimated, not
// tokenized: see ApproxTokens.
package chatdata
