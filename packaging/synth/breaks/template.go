package breaks

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/ckpt-dev/ckpt/packaging/compat"
)

// templateBreaks returns the chat template mutations.
func templateBreaks() map[compat.Code]func(*target) error {
	return map[compat.Code]func(*target) error{
		compat.TemplateMismatch: func(t *target) error {
			src, err := t.template()
			if err != nil {
				return err
			}
			return editJSON(t.dir, "tokenizer_config.json", func(m map[string]any) error {
				m["chat_template"] = src + "{#- edited -#}"
				return nil
			})
		},
		compat.TemplateRender: func(t *target) error {
			return t.setTemplate("{{ bos_token }}{% for message in messages %}{{ message['content'] }{% endfor %}")
		},
		compat.TemplateToolsUnsupported: func(t *target) error {
			return t.setTemplate("{{ bos_token }}{% for message in messages %}{% if message['role'] == 'tool' %}" +
				"{{ raise_exception('Tool messages are not supported.') }}{% endif %}" +
				"[{{ message['role'] }}]{{ message['content'] }}{% endfor %}")
		},
		compat.TemplateMissing: func(t *target) error {
			if err := t.needHF(); err != nil {
				return err
			}
			if err := os.Remove(t.path("chat_template.jinja")); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			if !t.has("tokenizer_config.json") {
				return writeFile(t.path("tokenizer_config.json"), []byte(`{"bos_token": "<s>", "eos_token": "</s>"}`))
			}
			return editJSON(t.dir, "tokenizer_config.json", func(m map[string]any) error { delete(m, "chat_template"); return nil })
		},
		compat.TemplateTrainMismatch: breakTrainMismatch,
		compat.TemplateCanonical: func(t *target) error {
			src, err := t.template()
			if err != nil {
				return err
			}
			return t.setTemplate(src + "{{ '[EXTRA]' }}")
		},
		compat.TemplateUnchecked: func(t *target) error {
			return t.setTemplate("{% macro show(v) %}{% if v is mapping %}{% for k in v %}{{ k }}={{ show(v[k]) }}{% endfor %}" +
				"{% else %}{{ v }}{% endif %}{% endmacro %}{{ bos_token }}{% for m in messages %}{{ show(m) }}{% endfor %}")
		},
	}
}

// template returns the folder's chat_template.jinja.
func (t *target) template() (string, error) {
	data, err := os.ReadFile(t.path("chat_template.jinja"))
	if err != nil {
		return "", errors.Join(ErrLayout, err)
	}
	return string(data), nil
}

// setTemplate replaces the folder's templates (file and inline).
func (t *target) setTemplate(src string) error {
	if err := writeFile(t.path("chat_template.jinja"), []byte(src)); err != nil {
		return err
	}
	if !t.has("tokenizer_config.json") {
		return nil
	}
	return editJSON(t.dir, "tokenizer_config.json", func(m map[string]any) error {
		if _, ok := m["chat_template"]; ok {
			m["chat_template"] = src
		}
		return nil
	})
}

// breakTrainMismatch records a changed template as an adapter's training
// template (adapter/chat_template.jinja), leaving the bundle's canonical.
func breakTrainMismatch(t *target) error {
	src, err := t.template()
	if err != nil {
		return err
	}
	adapter := t.path("adapter")
	if err := os.MkdirAll(adapter, 0o755); err != nil {
		return err
	}
	trained := src + `{{ " " }}`
	t.opts.TrainingTemplates = []compat.TrainingTemplate{{Source: "adapter/chat_template.jinja", Template: trained}}
	return writeFile(filepath.Join(adapter, "chat_template.jinja"), []byte(trained))
}
