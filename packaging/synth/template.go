package synth

// ChatTemplate is a compact chat template that renders the canonical
// format of Mistral's v7 tekken tokenizer (what mistral-common's
// InstructTokenizerV7 produces, see packaging/chatfmt): consecutive
// messages of one role merged with a blank line, the system prompt where
// it stands, [AVAILABLE_TOOLS] before the last user message, tool calls
// with their ids, tool results, and the assistant's EOS. It runs the way
// transformers' apply_chat_template runs it (trim_blocks, lstrip_blocks,
// tojson, raise_exception).
const ChatTemplate = `{%- macro text(content) -%}
    {%- if content is string -%}
        {{- content -}}
    {%- else -%}
        {%- for c in content -%}
            {%- if c['type'] == 'text' -%}
                {{- c['text'] -}}
            {%- else -%}
                {{- raise_exception('Only text chunks are supported.') -}}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro -%}
{{- bos_token }}
{%- set ns = namespace(msgs=[], role=none, parts=[], calls=[], users=0, seen=0) %}
{%- for m in messages + [{'role': '__end__'}] %}
    {%- if m['role'] != ns.role or m['role'] == 'system' or m['role'] == 'tool' %}
        {%- if ns.role == 'user' or ns.role == 'assistant' %}
            {%- set ns.msgs = ns.msgs + [{'role': ns.role, 'content': ns.parts | join('\n\n'), 'tool_calls': ns.calls}] %}
        {%- endif %}
        {%- set ns.role = m['role'] %}
        {%- set ns.parts = [] %}
        {%- set ns.calls = [] %}
        {%- if m['role'] == 'system' or m['role'] == 'tool' %}
            {%- set ns.msgs = ns.msgs + [m] %}
        {%- endif %}
    {%- endif %}
    {%- if m['role'] == 'user' or m['role'] == 'assistant' %}
        {%- if m['content'] is string %}
            {%- set ns.parts = ns.parts + [m['content']] %}
        {%- elif m['content'] is not none %}
            {%- for c in m['content'] %}
                {%- if c['type'] == 'text' %}
                    {%- set ns.parts = ns.parts + [c['text']] %}
                {%- else %}
                    {{- raise_exception('Only text chunks are supported.') }}
                {%- endif %}
            {%- endfor %}
        {%- endif %}
        {%- if m['tool_calls'] is defined and m['tool_calls'] is not none %}
            {%- set ns.calls = ns.calls + m['tool_calls'] | list %}
        {%- endif %}
    {%- endif %}
    {%- if m['role'] == 'user' %}
        {%- set ns.users = ns.users + 1 %}
    {%- endif %}
{%- endfor %}
{%- for m in ns.msgs %}
    {%- if m['role'] == 'user' %}
        {%- set ns.seen = ns.seen + 1 %}
        {%- if ns.seen == ns.users and tools is defined and tools is not none and tools | length > 0 %}
            {{- '[AVAILABLE_TOOLS]' + (tools | tojson) + '[/AVAILABLE_TOOLS]' }}
        {%- endif %}
        {{- '[INST]' + m['content'] + '[/INST]' }}
    {%- elif m['role'] == 'assistant' %}
        {{- m['content'] }}
        {%- if m['tool_calls'] | length > 0 %}
            {{- '[TOOL_CALLS][' }}
            {%- for call in m['tool_calls'] %}
                {%- set args = call['function']['arguments'] %}
                {%- if args is not string %}
                    {%- set args = args | tojson %}
                {%- elif args == '' %}
                    {%- set args = '{}' %}
                {%- endif %}
                {{- '{"name": "' + call['function']['name'] + '", "arguments": ' + args + ', "id": "' + call['id'] + '"}' }}
                {%- if not loop.last %}
                    {{- ', ' }}
                {%- endif %}
            {%- endfor %}
            {{- ']' }}
        {%- endif %}
        {{- eos_token }}
    {%- elif m['role'] == 'tool' %}
        {{- '[TOOL_RESULTS]' + m['tool_call_id'] + '[TOOL_CONTENT]' + m['content'] | string + '[/TOOL_RESULTS]' }}
    {%- elif m['role'] == 'system' %}
        {{- '[SYSTEM_PROMPT]' + text(m['content']) + '[/SYSTEM_PROMPT]' }}
    {%- else %}
        {{- raise_exception('Only user, assistant, system and tool roles are supported.') }}
    {%- endif %}
{%- endfor %}
`
