package chatfmt

// Case is one conversation of the suite a chat template must render
// exactly as the canonical format does.
type Case struct {
	Name string
	// JSON is the conversation as apply_chat_template and ParseRequest
	// take it.
	JSON string
	// Min and Max bound the versions the case applies to (0: no bound).
	Min, Max int
	// Think needs a tokenizer with think tokens.
	Think bool
}

func (c Case) applies(v Version) bool {
	return (c.Min == 0 || v.N >= c.Min) && (c.Max == 0 || v.N <= c.Max) && (!c.Think || v.Think)
}

const weatherTool = `{"type": "function", "function": {"name": "get_weather", "description": "Get the current weather",
 "parameters": {"type": "object", "properties": {"location": {"type": "string", "description": "City, e.g. Paris"},
 "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["location"]}}}`

const timeTool = `{"type": "function", "function": {"name": "get_time", "description": "Local time of a city",
 "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}`

// cases is the whole suite; Suite picks the ones of a version. Tool call
// arguments are JSON strings in the form Python's json.dumps writes, as an
// OpenAI-style client sends them: mistral-common re-serializes arguments,
// its templates print a string as it is, and they concatenate a mapping
// after "|tojson|safe", which Jinja2 HTML-escapes (&#34;).
var cases = []Case{
	{Name: "chat", JSON: `{"messages": [
 {"role": "system", "content": "You are a support assistant. Answer briefly."},
 {"role": "user", "content": "My invoice shows the wrong address."},
 {"role": "assistant", "content": "I can fix that. What is the correct address?"},
 {"role": "user", "content": "12 rue de la Paix, Paris & \"Lyon\" <office> été 🙂"}]}`},
	{Name: "no_system", JSON: `{"messages": [
 {"role": "user", "content": "Hello"},
 {"role": "assistant", "content": "Hi! How can I help?"},
 {"role": "user", "content": "Tell me a joke.\nA short one."}]}`},
	{Name: "two_system_prompts", JSON: `{"messages": [
 {"role": "system", "content": "Be concise."},
 {"role": "system", "content": "Answer in French."},
 {"role": "user", "content": "What is the capital of Italy?"},
 {"role": "assistant", "content": "Rome."},
 {"role": "user", "content": "And of Spain?"}]}`},
	{Name: "consecutive_roles", JSON: `{"messages": [
 {"role": "user", "content": "First question."},
 {"role": "user", "content": "Second question."},
 {"role": "assistant", "content": "First answer."},
 {"role": "assistant", "content": "Second answer."},
 {"role": "user", "content": "Thanks."}]}`},
	{Name: "text_chunks", JSON: `{"messages": [
 {"role": "system", "content": [{"type": "text", "text": "You are terse."}]},
 {"role": "user", "content": [{"type": "text", "text": "Part one."}, {"type": "text", "text": "Part two."}]},
 {"role": "assistant", "content": [{"type": "text", "text": "Noted."}]},
 {"role": "user", "content": "Go on."}]}`},
	{Name: "tool_call", Min: 2, JSON: `{"messages": [
 {"role": "system", "content": "You are a weather assistant."},
 {"role": "user", "content": "What is the weather in Paris?"},
 {"role": "assistant", "content": null, "tool_calls": [{"id": "a1b2c3d4e", "type": "function",
   "function": {"name": "get_weather", "arguments": "{\"location\": \"Paris\", \"unit\": \"celsius\"}"}}]},
 {"role": "tool", "tool_call_id": "a1b2c3d4e", "name": "get_weather", "content": "22 degrees, clear sky"},
 {"role": "assistant", "content": "It is 22 degrees Celsius and clear in Paris."},
 {"role": "user", "content": "And in Lyon?"}],
 "tools": [` + weatherTool + `]}`},
	{Name: "tool_result_last", Min: 2, JSON: `{"messages": [
 {"role": "user", "content": "Weather in Zürich, please."},
 {"role": "assistant", "tool_calls": [{"id": "Zq9Xw8Vu7", "type": "function",
   "function": {"name": "get_weather", "arguments": "{\"location\": \"Zürich\"}"}}]},
 {"role": "tool", "tool_call_id": "Zq9Xw8Vu7", "name": "get_weather", "content": "light rain, 9 °C"}],
 "tools": [` + weatherTool + `]}`},
	{Name: "parallel_calls", Min: 2, JSON: `{"messages": [
 {"role": "system", "content": "Use the tools."},
 {"role": "user", "content": "Weather and time in Tokyo?"},
 {"role": "assistant", "tool_calls": [
   {"id": "call00001", "type": "function", "function": {"name": "get_weather", "arguments": "{\"location\": \"Tokyo\"}"}},
   {"id": "call00002", "type": "function", "function": {"name": "get_time", "arguments": "{\"city\": \"Tokyo\"}"}}]},
 {"role": "tool", "tool_call_id": "call00001", "name": "get_weather", "content": "sunny"},
 {"role": "tool", "tool_call_id": "call00002", "name": "get_time", "content": "21:04"}],
 "tools": [` + weatherTool + `, ` + timeTool + `]}`},
	{Name: "tools_in_history", Min: 2, JSON: `{"messages": [
 {"role": "user", "content": "Time in Oslo?"},
 {"role": "assistant", "tool_calls": [{"id": "0slo0time", "type": "function",
   "function": {"name": "get_time", "arguments": "{\"city\": \"Oslo\"}"}}]},
 {"role": "tool", "tool_call_id": "0slo0time", "name": "get_time", "content": "09:30"},
 {"role": "assistant", "content": "It is 09:30 in Oslo."},
 {"role": "user", "content": "Thanks. And the weather?"},
 {"role": "assistant", "content": "Let me check."},
 {"role": "user", "content": "Please do."}],
 "tools": [` + weatherTool + `, ` + timeTool + `]}`},
	{Name: "continue_final_message", JSON: `{"messages": [
 {"role": "user", "content": "Write a haiku about rain."},
 {"role": "assistant", "content": "Soft rain on the roof,"}],
 "continue_final_message": true}`},
	{Name: "think", Min: 13, Think: true, JSON: `{"messages": [
 {"role": "system", "content": "Think step by step."},
 {"role": "user", "content": "What is 17 * 3?"},
 {"role": "assistant", "content": [{"type": "thinking", "thinking": "17 * 3 = 51."}, {"type": "text", "text": "51"}]},
 {"role": "user", "content": "And 51 / 3?"}]}`},
}

// Suite returns the conversations that apply to version v.
func Suite(v Version) []Case {
	var out []Case
	for _, c := range cases {
		if c.applies(v) {
			out = append(out, c)
		}
	}
	return out
}
