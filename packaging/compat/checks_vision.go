package compat

// imageConfig is the tokenizer side of vision: patch, merge and size.
type imageConfig struct {
	file                           string
	patch, merge, maxImage         int
	patchPath, mergePath, sizePath string
}

// mistralImage returns the tokenizer's image config: tekken's image
// section, or the fixed one of a SentencePiece v7m1 file.
func (t *tokInfo) mistralImage() *imageConfig {
	switch {
	case t.tekken != nil && t.tekken.Image != nil:
		im := t.tekken.Image
		merge := im.SpatialMergeSize
		if merge == 0 {
			merge = 1
		}
		return &imageConfig{t.file, im.ImagePatchSize, merge, im.MaxImageSize,
			"image.image_patch_size", "image.spatial_merge_size", "image.max_image_size"}
	case t.spm != nil && t.image:
		return &imageConfig{t.file, 16, 1, 1024, "", "", ""}
	}
	return nil
}

// checkImageTokens checks that a tokenizer with an image config has the
// image special tokens.
func (c *checker) checkImageTokens(tok *tokInfo) {
	if !tok.image {
		return
	}
	var missing []string
	for _, s := range []string{"[IMG]", "[IMG_BREAK]", "[IMG_END]"} {
		if _, ok := tok.specialID(s); !ok {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		c.rep.add(VisionNoImageTokens, tok.file, "special_tokens", "the tokenizer has an image config but lacks %v: mistral-common cannot encode images", missing)
	}
}

// checkNativeVision checks the tokenizer's image section against
// params.json's vision encoder.
func (c *checker) checkNativeVision() {
	tok := c.tokenizer()
	p := c.params()
	if p == nil || p.Vision == nil {
		return
	}
	if tok == nil {
		return
	}
	im := tok.mistralImage()
	if im == nil {
		c.rep.add(VisionNoImageConfig, tok.file, "image", "params.json has a vision encoder but %s has no image section: vLLM mistral mode and mistral-inference cannot preprocess images; use a tokenizer with \"image\" (or a .model.v7m1 file)", tok.file)
		return
	}
	c.compareVision(p.Vision, im)
	ids := []struct {
		name string
		want int
		key  string
	}{{"[IMG]", p.Vision.ImageTokenID, "image_token_id"}, {"[IMG_BREAK]", p.Vision.ImageBreakTokenID, "image_break_token_id"}, {"[IMG_END]", p.Vision.ImageEndTokenID, "image_end_token_id"}}
	for _, id := range ids {
		if got, ok := tok.specialID(id.name); ok && got != id.want {
			c.rep.add(VisionTokenID, "params.json", "vision_encoder."+id.key, "vision_encoder.%s is %d but %s has %s at %d: image embeddings land on the wrong tokens", id.key, id.want, tok.file, id.name, got)
		}
	}
}

func (c *checker) compareVision(v *VisionParams, im *imageConfig) {
	if im.patch != v.PatchSize {
		c.rep.add(VisionPatchSize, im.file, im.patchPath, "image patch size %d but the vision encoder's patch_size is %d: image token counts disagree with the model", im.patch, v.PatchSize)
	}
	if im.merge != v.SpatialMergeSize {
		c.rep.add(VisionMergeSize, im.file, im.mergePath, "spatial_merge_size %d but the vision encoder's is %d", im.merge, v.SpatialMergeSize)
	}
	want := v.MaxImageSize
	if want == 0 {
		want = v.ImageSize
	}
	if im.maxImage > 0 && want > 0 && im.maxImage != want {
		c.rep.add(VisionImageSize, im.file, im.sizePath, "max image size %d but the vision encoder's is %d: images are resized to a size the model was not trained on", im.maxImage, want)
	}
}

// hfVisionConfig returns config.json's vision_config, or nil.
func (c *checker) hfVisionConfig() obj {
	cfg, _ := c.hfConfig()
	return cfg.sub("vision_config")
}

// checkHFVision checks processor_config.json / preprocessor_config.json
// against config.json's vision_config.
func (c *checker) checkHFVision() {
	cfg, _ := c.hfConfig()
	vc := c.hfVisionConfig()
	if vc == nil {
		return
	}
	files := []string{"processor_config.json", "preprocessor_config.json"}
	found := false
	for _, f := range files {
		if c.b.has(f) {
			found = true
		}
	}
	if !found {
		c.rep.add(VisionNoImageConfig, "processor_config.json", "", "config.json has a vision_config but neither processor_config.json nor preprocessor_config.json exists: AutoProcessor cannot load images")
		return
	}
	patch, _ := vc.int("patch_size")
	merge, hasMerge := cfg.int("spatial_merge_size")
	for _, f := range files {
		o := c.b.json(f)
		if o == nil {
			continue
		}
		if got, ok := patchSize(o); ok && patch > 0 && got != patch {
			c.rep.add(VisionPatchSize, f, "patch_size", "%s patch_size %d but config.json vision_config.patch_size is %d", f, got, patch)
		}
		if got, ok := o.int("spatial_merge_size"); ok && hasMerge && got != merge {
			c.rep.add(VisionMergeSize, f, "spatial_merge_size", "%s spatial_merge_size %d but config.json says %d", f, got, merge)
		}
		if got, ok := o.sub("size").int("longest_edge"); ok {
			if want, ok := vc.int("image_size"); ok && got != want {
				c.rep.add(VisionImageSize, f, "size.longest_edge", "%s size.longest_edge %d but config.json vision_config.image_size is %d", f, got, want)
			}
		}
		c.checkHFImageToken(cfg, o, f)
	}
}

// patchSize reads patch_size as an int or {"height": h, "width": w}.
func patchSize(o obj) (int64, bool) {
	if v, ok := o.int("patch_size"); ok {
		return v, true
	}
	return o.sub("patch_size").int("height")
}

func (c *checker) checkHFImageToken(cfg, proc obj, file string) {
	want, ok := cfg.int("image_token_index")
	if !ok {
		return
	}
	name, ok := proc.str("image_token")
	if !ok {
		return
	}
	if got, ok := c.tokenID(name); ok && int64(got) != want {
		c.rep.add(VisionTokenID, "config.json", "image_token_index", "config.json image_token_index %d but %s's image_token %q is id %d", want, file, name, got)
	}
}
