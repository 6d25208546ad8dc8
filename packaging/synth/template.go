package synth

// ChatTemplate is a small Mistral v7-style chat template (system prompt,
// tools, user/assistant turns, tool calls and results) rendered the way
// transformers' apply_chat_template runs it (trim_blocks, lstrip_blocks,
// tojson, raise_exception).
const ChatTemplate = `{{- bos_token }}
{%- if messages and messages[0]['role'] == 'system' %}
    {%- set system = messages[0]['content'] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set system = none %}
    {%- set loop_messages = messages %}
{%- endif %}
{%- if system is not none %}
    {{- '[SYSTEM_PROMPT]' + system + '[/SYSTEM_PROMPT]' }}
{%- endif %}
{%- if tools is defined and tools is not none and tools | length > 0 %}
    {{- '[AVAILABLE_TOOLS]' + (tools | tojson) + '[/AVAILABLE_TOOLS]' }}
{%- endif %}
{%- for message in loop_messages %}
    {%- if message['role'] == 'user' %}
        {{- '[INST]' + message['content'] + '[/INST]' }}
    {%- elif message['role'] == 'assistant' %}
        {%- if message['content'] %}
            {{- message['content'] }}
        {%- endif %}
        {%- if message['tool_calls'] is defined and message['tool_calls'] %}
            {{- '[TOOL_CALLS][' }}
            {%- for call in message['tool_calls'] %}
                {%- set fn = call['function'] if call['function'] is defined else call %}
                {{- '{"name": ' + (fn['name'] | tojson) + ', "arguments": ' + (fn['arguments'] | tojson) }}
                {%- if call['id'] is defined %}
                    {{- ', "id": ' + (call['id'] | tojson) }}
                {%- endif %}
                {{- '}' + (', ' if not loop.last else '') }}
            {%- endfor %}
            {{- ']' }}
        {%- endif %}
        {{- eos_token }}
    {%- elif message['role'] == 'tool' %}
        {{- '[TOOL_RESULTS]{"content": ' + (message['content'] | tojson) }}
        {%- if message['tool_call_id'] is defined %}
            {{- ', "call_id": ' + (message['tool_call_id'] | tojson) }}
        {%- endif %}
        {{- '}[/TOOL_RESULTS]' }}
    {%- elif message['role'] == 'system' %}
        {{- '[SYSTEM_PROMPT]' + message['content'] + '[/SYSTEM_PROMPT]' }}
    {%- else %}
        {{- raise_exception('Unexpected role ' + message['role']) }}
    {%- endif %}
{%- endfor %}
`
