"""One worker of a two-process MultiWorkerMirroredStrategy run (see test_distribute.py).

Runs the same library path as ``train.py --strategy multiworker`` and prints a
JSON line with a digest of the worker's final generator and critic weights.
"""

import hashlib
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from keras_gans import training  # noqa: E402

run_dir, model_name = sys.argv[1], sys.argv[2]
epochs, resume = int(sys.argv[3]), sys.argv[4] == "resume"
# Different seeds per worker: only really synchronised training (initial values
# broadcast from worker 0, gradients all-reduced) ends with identical weights.
index = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
config = training.TrainConfig(
    model=model_name,
    dataset="digits",
    image_size=8,
    batch_size=64,
    latent_dim=4,
    epochs=epochs,
    critic_steps=2,
    seed=3 + index,
    run_dir=run_dir,
    strategy="multiworker",
    resume=resume,
    diagnostics=False,
    verbose=0,
    log_every=5,
    num_samples=4,
)
if resume:  # the run's config.json holds the options; only these may be given
    config = training.TrainConfig(run_dir=run_dir, resume=True, epochs=epochs, verbose=0)
model = training.run(config).model
digest = hashlib.sha256()
for weight in model.generator.weights + model.discriminator.weights:
    digest.update(weight.numpy().tobytes())
print(
    json.dumps({"digest": digest.hexdigest(), "g_steps": int(model.g_optimizer.iterations.numpy())})
)
