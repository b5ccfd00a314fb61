#!/usr/bin/env bash
# Trainings and evaluations run on one GPU (an H200), side by side.
#
#   FASHION_MNIST_DIR=/path/to/idx-gz OUT=/tmp/gpu-out bash benchmarks/gpu_jobs.sh SECONDS JOB...
#
# JOB: cgan acgan infogan ddpm sgan-sweep   (first GPU session, 2026-11-28: SECONDS = 390)
#      ddpm-eval sgan-draws nextframe failures  (second)
#      techniques   (the "Improved Techniques" ablation of the DCGAN, 3 seeds at 6000 steps, then the
#                    best row for 30000 steps, shipped as dcgan-fmnist if it beats its FID; SECONDS >= 540)
#      sketch       (sketch -> photo on BSDS500: pix2pix-sketch and its L1 ablation l1-sketch side by side at
#                    the paper's settings, 256 px, batch 1, cut at SECONDS - 75, then both measured on the
#                    BSDS500 test split; needs bsds500/ under GAN_SUITE_SHARED_DATA (default ../shared/data))
#      ddpm-cond    (the class-conditional DDPM: resume its committed run state in runs/ddpm-fmnist-cond to
#                    COND_STEPS (20000) steps of 128, cut at SECONDS - 150, then the told rows at n = 2000 and the
#                    table into the cards; SECONDS >= 400)
#      sr-resize    (the super-resolution pair with a resize-convolution upsampler: the SRResNet warm-started from
#                    the shipped one (--upsampler resize), SR_STEPS (20000) steps on SunHays80 + BSDS500 train,
#                    then the SRGAN from it with the grid penalty, then Set5 / Set14 and the periodic figures;
#                    the checkpoints come back to be compared, not shipped unseen)
# Every line is the suite's ordinary command, which also runs on a CPU, only slower. Each job has
# a wall-clock limit inside SECONDS, exports its checkpoint every 1000 steps (so a job cut short
# still leaves a model) and logs to runs/gpu-logs/. At the end the checkpoints it wrote, the run
# histories and the logs are packed into tar files in $OUT; unpack them in the repository root.
set -u
T=${1:-380}
shift
OUT=${OUT:-runs/gpu-out}
LOG=runs/gpu-logs
mkdir -p "$OUT" "$LOG"
export OMP_NUM_THREADS=2 PYTHONUNBUFFERED=1
nvidia-smi -L 2>/dev/null || true
python3 -c "import torch, diffusers; print('torch', torch.__version__, 'diffusers', diffusers.__version__, 'cuda', torch.cuda.is_available())"

PIDS=()
PACK=()
job() {  # job NAME COMMAND...: run in the background, log to $LOG/NAME.log, record the exit status
  local name=$1; shift
  ( "$@" > "$LOG/$name.log" 2>&1; echo "$name rc=$?" >> "$LOG/status.txt" ) &
  PIDS+=($!)
}

train() {  # train COMMAND STEPS [OPTIONS...]: a fresh run in runs/COMMAND-gpu, cut at SECONDS - 75
  local cmd=$1 steps=$2; shift 2
  timeout $((T - 75)) python3 -m gan_core.train "$cmd" --steps "$steps" --export-every 1000 \
      --checkpoint-every 1000 --fresh --run-dir "runs/$cmd-gpu" "$@"
}

gan() {  # a conditional GAN: train, then measure it with the judge
  train "$1" 20000
  timeout 60 python3 -m gan_core.gan.evaluate "$1-fmnist"
}

failure() {  # failure COMMAND CHECKPOINT STEPS [OPTIONS...]: a Failure gallery model, then its measurement
  local cmd=$1 name=$2 steps=$3; shift 3
  train "$cmd" "$steps" "$@"
  timeout 60 python3 -m gan_core.failures.measure "$name"
}

diffusion() {  # the DDPM: train, then sample every row of the comparison
  timeout $((T - 140)) python3 -m gan_core.train ddpm --steps 16000 --batch-size 128 --export-every 1000 \
      --checkpoint-every 1000 --fresh --run-dir runs/ddpm-gpu
  diffusion_eval 110 64
}

diffusion_eval() {  # diffusion_eval SECONDS BATCH: every row at n = 2000, then the table into the card
  for row in ddpm1000 ddim100 ddim50 ddim25 ddim10 dcgan vae16; do
    timeout "$1" python3 benchmarks/eval_diffusion.py sample --row $row --n 2000 --batch "$2" \
        > "$LOG/eval-$row.log" 2>&1 &
  done
  wait
  timeout 60 python3 benchmarks/eval_diffusion.py table --n 2000 --n-small 64 --write-metrics
}

diffusion_cond() {  # the class-conditional U-Net: more fine-tuning (resumed), then its told rows beside the AC-GAN
  timeout $((T - 150)) python3 -m gan_core.train ddpm --conditional --init ddpm-fmnist --class-lr 1e-2 \
      --name ddpm-fmnist-cond --steps "${COND_STEPS:-20000}" --batch-size 128 --export-every 1000 --checkpoint-every 1000
  local rows="cond_ddpm1000 cond_ddim50 cond_ddim25 cond_ddim10 cond_ddim50_w1 acgan"
  for row in $rows; do
    timeout 110 python3 benchmarks/eval_diffusion.py sample --row $row --n 2000 --batch 500 > "$LOG/eval-$row.log" 2>&1 &
  done
  wait
  timeout 30 python3 benchmarks/eval_diffusion.py table --n 2000 --n-small 64 --rows $rows --write-metrics
}

sgan_draw() {  # the label-budget sweep at 100 labels, one draw: SGAN and the supervised baseline
  timeout "$T" python3 -m gan_core.gan.sweep --steps 4000 --eval-every 250 --budgets 100 --draws 1 \
      --first-draw "$1" --results "results-d$1.json"
}

techniques() {  # every row of the ablation, one process per seed, then the best row longer (--ship);
  # TECH_STEPS (6000) and TECH_LONG (30000) set the budgets; a job cut short resumes when run again
  local singles=$((T * 45 / 100)) best=$((T * 15 / 100)) steps=${TECH_STEPS:-6000}
  local rows="vanilla label-smoothing feature-matching minibatch hist-avg vbn ema"
  for s in 0 1 2; do  # the rows are resumable and skip what the results file already holds
    timeout "$singles" python3 -m gan_core.gan.techniques --steps "$steps" --first-seed $s --seeds 1 \
        --configs $rows > "$LOG/techniques-s$s.log" 2>&1 &
  done
  wait
  for s in 0 1 2; do
    timeout "$best" python3 -m gan_core.gan.techniques --steps "$steps" --first-seed $s --seeds 1 --configs best \
        > "$LOG/techniques-best-s$s.log" 2>&1 &
  done
  wait
  timeout $((T - singles - best - 45)) python3 -m gan_core.gan.techniques --long "${TECH_LONG:-30000}" --ship
  cp checkpoints/dcgan-fmnist/techniques/results.json "$LOG/techniques-results.json"
}

sketch() {  # sketch -> photo: the cGAN and the L1 ablation together, then the test figures into both cards
  train l1-sketch 80000 > "$LOG/l1-sketch.log" 2>&1 &
  train pix2pix-sketch 80000
  wait
  timeout 60 python3 -m benchmarks.eval_paired sketch
}

sr_resize() {  # SRResNet with nearest x2 + conv upsampling, from the shipped weights, then its SRGAN and the figures
  timeout $((T * 55 / 100)) python3 -m gan_core.train srresnet --init checkpoints/srresnet-x4 --upsampler resize \
      --photos sunhays80 bsds500 --steps "${SR_STEPS:-20000}" --batch-size 16 --export-every 1000 \
      --checkpoint-every 1000 --fresh --run-dir runs/srresnet-resize-gpu
  timeout $((T * 25 / 100)) python3 -m gan_core.train srgan --init checkpoints/srresnet-x4 --grid-weight 3 \
      --steps 2500 --batch-size 16 --export-every 250 --checkpoint-every 250 --fresh --run-dir runs/srgan-resize-gpu
  timeout 40 python3 -m benchmarks.eval_sr --sets Set5 Set14
  timeout 30 python3 -m benchmarks.eval_sr_periodic --sets Set5 Set14 > "$LOG/sr-periodic.txt" 2>&1
}

for j in "$@"; do
  case $j in
    cgan|acgan|infogan) job "$j" gan "$j"; PACK+=("checkpoints/$j-fmnist") ;;
    ddpm) job ddpm diffusion; PACK+=(checkpoints/ddpm-fmnist) ;;
    ddpm-eval) job ddpm-eval diffusion_eval $((T - 60)) 500; PACK+=(checkpoints/ddpm-fmnist) ;;
    ddpm-cond) job ddpm-cond diffusion_cond; PACK+=(checkpoints/ddpm-fmnist checkpoints/ddpm-fmnist-cond) ;;  # its run state (17 MB) stays there
    sgan-sweep) job sgan-sweep timeout "$T" python3 -m gan_core.gan.sweep --steps 2000 --eval-every 250 --draws 3
                PACK+=(checkpoints/sgan-fmnist checkpoints/supervised-fmnist) ;;
    sgan-draws) for d in 0 1 2; do job "sgan-d$d" sgan_draw $d; done
                PACK+=(checkpoints/sgan-fmnist checkpoints/supervised-fmnist) ;;
    nextframe) for m in mse gdl; do
                 job "nextframe-$m" train "nextframe-$m" 15000 --width 32 --d-width 32 --batch-size 64
               done
               job nextframe-adv train nextframe-adv 8000 --width 32 --d-width 32 --batch-size 64
               PACK+=(checkpoints/nextframe-mse checkpoints/nextframe-gdl checkpoints/nextframe-adv) ;;
    failures) job counting failure counting counting-gan 15000 --batch-size 128
              job perspective failure perspective perspective-gan 15000 --batch-size 128
              job imbalance failure imbalance imbalance-fmnist 3000
              job collapse failure collapse collapse-fmnist 3000
              PACK+=(checkpoints/counting-gan checkpoints/perspective-gan checkpoints/imbalance-fmnist checkpoints/collapse-fmnist) ;;
    techniques) job techniques techniques; PACK+=(checkpoints/dcgan-fmnist) ;;
    sketch) job sketch sketch; PACK+=(checkpoints/pix2pix-sketch checkpoints/l1-sketch) ;;
    sr-resize) job sr-resize sr_resize; PACK+=(checkpoints/srresnet-x4 checkpoints/srgan-x4) ;;
    *) echo "unknown job $j" >&2 ;;
  esac
done
( while sleep 60; do nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader; \
  for f in "$LOG"/*.log; do printf '%s: ' "$f"; tail -c 300 "$f" | tr '\r' '\n' | tail -n1 | cut -c1-150; done; done ) &
MONITOR=$!
wait "${PIDS[@]}"
kill $MONITOR 2>/dev/null
cat "$LOG/status.txt"

cp runs/sgan-sweep/results*.json runs/eval-diffusion/*.json "$LOG/" 2>/dev/null
for d in runs/*-gpu; do [ -f "$d/history.jsonl" ] && cp "$d/history.jsonl" "$LOG/$(basename "$d")-history.jsonl"; done
# checkpoints: up to 15 MB per tar (the transfer takes files of at most 16 MiB)
i=0; batch=(); size=0
for c in "${PACK[@]}"; do
  [ -d "$c" ] || continue
  s=$(du -sb "$c" | cut -f1)
  if [ ${#batch[@]} -gt 0 ] && [ $((size + s)) -gt 15000000 ]; then
    tar cf "$OUT/checkpoints-$i.tar" "${batch[@]}"; i=$((i + 1)); batch=(); size=0
  fi
  batch+=("$c"); size=$((size + s))
done
[ ${#batch[@]} -gt 0 ] && tar cf "$OUT/checkpoints-$i.tar" "${batch[@]}"
tar cf "$OUT/logs.tar" "$LOG"
ls -la "$OUT"
