package breaks

import (
	"github.com/ckpt-dev/ckpt/packaging/compat"
	"maps"
	"os"
	"slices"

	"github.com/ckpt-dev/ckpt/packaging/safetensors"
)

// Sizes of the vision encoder Apply adds to a text model.
const (
	visPatch = 16
	visImage = 64
)

// visionBreaks returns the vision mutations; each first gives a text model
// a small, consistent vision encoder.
func visionBreaks() map[compat.Code]func(*target) error {
	both := func(native, hf func(*target) error) func(*target) error {
		return func(t *target) error {
			if err := t.visionize(); err != nil {
				return err
			}
			if t.native {
				return native(t)
			}
			return hf(t)
		}
	}
	image := func(key string, v any) func(*target) error {
		return func(t *target) error {
			return t.editTekken(func(m map[string]any) error { subObj(m, "image")[key] = v; return nil })
		}
	}
	proc := func(file, key string, v any) func(*target) error {
		return func(t *target) error {
			return editJSON(t.dir, file, func(m map[string]any) error { m[key] = v; return nil })
		}
	}
	return map[compat.Code]func(*target) error{
		compat.VisionNoImageTokens: both(func(t *target) error { return t.renameSpecial("[IMG_BREAK]", "[IMG_BRK]") },
			func(t *target) error { return t.renameSpecial("[IMG_BREAK]", "[IMG_BRK]") }),
		compat.VisionNoImageConfig: both(func(t *target) error {
			return t.editTekken(func(m map[string]any) error { delete(m, "image"); return nil })
		}, func(t *target) error { return os.Remove(t.path("processor_config.json")) }),
		compat.VisionPatchSize: both(image("image_patch_size", visPatch/2), proc("processor_config.json", "patch_size", visPatch/2)),
		compat.VisionMergeSize: both(image("spatial_merge_size", 2), proc("processor_config.json", "spatial_merge_size", 2)),
		compat.VisionTokenID: both(func(t *target) error {
			return editJSON(t.dir, "params.json", func(m map[string]any) error {
				subObj(m, "vision_encoder")["image_token_id"] = 11
				return nil
			})
		}, proc("config.json", "image_token_index", 11)),
		compat.VisionImageSize: both(image("max_image_size", visImage/2), func(t *target) error {
			return editJSON(t.dir, "preprocessor_config.json", func(m map[string]any) error {
				m["image_processor_type"] = "PixtralImageProcessor"
				m["patch_size"] = map[string]any{"height": visPatch, "width": visPatch}
				m["size"] = map[string]any{"longest_edge": visImage / 2}
				return nil
			})
		}),
	}
}

// visionize adds a vision encoder consistent with the tokenizer: native
// params.json vision_encoder + tensors + tekken image section, or HF
// vision_config + processor_config.json.
func (t *target) visionize() error {
	ids := map[string]int{"[IMG]": 10, "[IMG_BREAK]": 12, "[IMG_END]": 13}
	if t.has("tekken.json") {
		data, err := os.ReadFile(t.path("tekken.json"))
		if err != nil {
			return err
		}
		tk, err := compat.ParseTekken(data)
		if err != nil {
			return err
		}
		for name := range ids {
			if id, ok := tk.SpecialID(name); ok {
				ids[name] = id
			}
		}
		err = t.editTekken(func(m map[string]any) error {
			m["image"] = map[string]any{"image_patch_size": visPatch, "max_image_size": visImage, "spatial_merge_size": 1}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if t.native {
		return t.visionizeNative(ids)
	}
	return t.visionizeHF(ids)
}

func (t *target) visionizeNative(ids map[string]int) error {
	err := editJSON(t.dir, "params.json", func(m map[string]any) error {
		m["vision_encoder"] = map[string]any{"hidden_size": 32, "num_channels": 3, "image_size": visImage,
			"patch_size": visPatch, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2,
			"max_image_size": visImage, "adapter_bias": false, "spatial_merge_size": 1,
			"image_token_id": ids["[IMG]"], "image_break_token_id": ids["[IMG_BREAK]"], "image_end_token_id": ids["[IMG_END]"]}
		return nil
	})
	if err != nil {
		return err
	}
	data, err := os.ReadFile(t.path("params.json"))
	if err != nil {
		return err
	}
	p, _, err := compat.ParseParams(data)
	if err != nil {
		return err
	}
	want := p.ExpectedTensors()
	return rewriteTensors(t.weightsFile(), func(s []safetensors.Spec) []safetensors.Spec {
		have := map[string]bool{}
		for _, x := range s {
			have[x.Name] = true
		}
		for _, name := range slices.Sorted(maps.Keys(want)) {
			if !have[name] {
				s = append(s, safetensors.Spec{Name: name, DType: s[0].DType, Shape: want[name]})
			}
		}
		return s
	})
}

func (t *target) visionizeHF(ids map[string]int) error {
	err := editJSON(t.dir, "config.json", func(m map[string]any) error {
		m["vision_config"] = map[string]any{"model_type": "pixtral", "hidden_size": 32, "num_channels": 3, "patch_size": visPatch,
			"image_size": visImage, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 64}
		m["spatial_merge_size"], m["image_token_index"] = 1, ids["[IMG]"]
		return nil
	})
	if err != nil {
		return err
	}
	return editJSON(t.dir, "processor_config.json", func(m map[string]any) error {
		m["image_token"], m["image_break_token"], m["image_end_token"] = "[IMG]", "[IMG_BREAK]", "[IMG_END]"
		m["patch_size"], m["spatial_merge_size"], m["processor_class"] = visPatch, 1, "PixtralProcessor"
		return nil
	})
}
