// Package train trains LaMa's FFC-ResNet inpainting generator on aerial
// imagery: a training-mode model with backward passes (Model), the masked
// reconstruction loss (MaskedMSE), PyTorch's Adam (Adam), and the loop
// around them (Run): data from folders of clean images, random crops and
// flips, damage masks from package mask, holes pre-filled by inverse
// distance weighting, a fixed validation split, atomic checkpoints with
// optimizer state for exact resumption, and logs.
//
// Model reproduces LaMa's own training step: run on the oracle in
// shared/oracle/train*, its float32 gradients agree with LaMa's float64
// ones to a few parts in a million of each tensor's largest magnitude.
//
// Package train is not a general training framework: it knows one network
// (LaMa's generator, any configuration lama.Config describes), one loss and
// one optimiser. It trains no discriminator and no perceptual loss, so it
// does not reproduce LaMa's adversarial training recipe.
package train
