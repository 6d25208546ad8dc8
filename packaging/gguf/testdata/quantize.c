// Calls llama.cpp's own quantizer (llama_model_quantize in the libllama
// that node-llama-cpp ships) on a GGUF file: quantize IN OUT FTYPE [THREADS].
// The params struct mirrors llama.h's llama_model_quantize_params of that
// build; its default values come from the library itself.
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct {
    int32_t nthread;
    int32_t ftype;
    int32_t output_tensor_type;
    int32_t token_embedding_type;
    bool allow_requantize, quantize_output_tensor, only_copy, pure, keep_split, dry_run;
    const void *imatrix, *kv_overrides, *tt_overrides;
    const int32_t *prune_layers;
    size_t max_buf_size;
} quantize_params;

extern quantize_params llama_model_quantize_default_params(void);
extern uint32_t llama_model_quantize(const char *in, const char *out, const quantize_params *p);
extern void llama_backend_init(void);

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: quantize IN OUT FTYPE [THREADS]\n");
        return 2;
    }
    llama_backend_init();
    quantize_params p = llama_model_quantize_default_params();
    p.ftype = atoi(argv[3]);
    p.nthread = argc > 4 ? atoi(argv[4]) : 1;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    uint32_t rc = llama_model_quantize(argv[1], argv[2], &p);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%.6f\n", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
    return rc != 0;
}
