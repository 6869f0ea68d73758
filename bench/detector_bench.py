"""Face detectors for aligning photos into the training frame: speed, detection and how steady their eyes are, on one CPU core.

Measures five detectors with landmarks, each picking one face per picture:

- `vae_faces`: the project's own `vae_faces.align.find_faces`: dlib's HOG detector (upsample 0; upsample 1 where
  nothing is found and the picture is at most 400 px), detections scoring under 0.3 dropped where a stronger one
  exists, the 68-point model's eye centres (means of points 36-41 and 42-47), nose (30), mouth corners (48, 54);
  the widest face, as `align_face` takes it;
- `dlib_hog_up1`: dlib's HOG detector with upsample 1 always, the same 68-point model, the highest-scoring face;
- `dlib_cnn`: dlib's CNN detector (`mmod_human_face_detector.dat`, shipped in face_recognition_models) with upsample 0,
  the same 68-point model, on fewer CelebA pictures (`--n-cnn`): it takes ~0.25 s per CelebA picture and ~2 s per photo on one core;
- `mp_face_detector`: MediaPipe's short-range face detector (BlazeFace): two eyes and the nose tip, no mouth corners;
- `mp_facemesh`: MediaPipe's FaceMesh (static images, refined, one face): eye centres = means of the 16 contour points of
  each eye, nose tip (1), mouth corners (61, 291).

For each: the time to load it (the package's import included), how many of the first `--n` aligned CelebA pictures it
finds a face in and its median ms per picture (178×218), the median ms of 5 runs on each of two photos (scikit-image's
astronaut, 512×512; matplotlib's grace_hopper.jpg, 512×600), whether it finds the astronaut's face under 11 changes
(rotated ±10°/±20°, scaled 0.6/0.8/1.5, mirrored, grayscale, shrunk to 233×233 and 128×128, where dlib's HOG box is
~40 and ~22 px wide) and `eye_err_px`: the mean distance of its two eye centres from where the change moves the eyes it
found in the unchanged astronaut, in pixels of the changed picture; and `eye_diff_px`: the mean distance of its eye
centres from `vae_faces`'s on the CelebA pictures both find a face in. Points are continuous pixel coordinates (a
pixel's centre at i + 0.5), as `find_faces` gives them.

MediaPipe needs numpy<2 and its legacy `mediapipe.solutions`, whose models ship in the wheel up to 0.10.x; from 1.0 the
wheel holds no model and the tasks API needs a .task/.tflite downloaded separately, which such a stage records under
"unusable" with the reason. Give it its own environment, e.g. `python -m venv mpvenv && mpvenv/bin/pip install
mediapipe==0.10.21 "numpy<2"`. The MediaPipe stage imports neither vae_faces nor torch; where scikit-image (the
astronaut) or matplotlib (grace_hopper) is missing it reads the pictures that the dlib stage wrote to `--work`.
Each stage merges its detectors into `--out` (default `bench/results/detectors.json`), keeping the others; the eye
differences from `vae_faces` are filled in by whichever stage runs second (both write their eyes to `--work`).
The script pins itself to one core and sets OMP_NUM_THREADS=1; run it on an otherwise idle core:

    taskset -c 0 .venv/bin/python bench/detector_bench.py dlib --celeba DIR          # --n 500 --n-cnn 100
    taskset -c 0 mpvenv/bin/python bench/detector_bench.py mediapipe --celeba DIR    # --n 500
    python bench/detector_bench.py report                                            # the results as a markdown table

DIR is a CelebA folder holding img_align_celeba/ (pictures 000001.jpg upwards; other sizes, such as half-size copies,
are resized to 178×218 with PIL's bilinear filter first).
"""
import os
os.environ.setdefault('OMP_NUM_THREADS', '1')
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
import argparse, json, math, statistics, sys, tempfile, time
from importlib.metadata import version
from pathlib import Path
import numpy as np
from PIL import Image, ImageOps

OUT = Path(__file__).resolve().parent/'results'/'detectors.json'
FRAME = (178, 218)
PHOTOS = ('astronaut', 'grace_hopper')
VARIANTS = {**{f'rotated {a:+d}°': dict(rot=a) for a in (20, 10, -10, -20)},   # PIL's angles: counter-clockwise
            **{f'scaled {s}': dict(scale=s) for s in (0.6, 0.8, 1.5)},
            'mirrored': dict(mirror=True), 'grayscale': dict(gray=True),
            '233x233 (face ~40 px)': dict(scale=233 / 512), '128x128 (face ~22 px)': dict(scale=128 / 512)}
EYES_A = [33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173]  # FaceMesh: the image-left eye's contour
EYES_B = [263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398]

def rgb(path)->np.ndarray: return np.asarray(Image.open(path).convert('RGB'))

def celeba(root, n:int, read=rgb)->list:
    "The first `n` aligned CelebA pictures as uint8 (218, 178, 3) arrays."
    out = []
    for i in range(1, n + 1):
        im = Image.fromarray(read(Path(root)/'img_align_celeba'/f'{i:06d}.jpg'))
        out.append(np.asarray(im if im.size == FRAME else im.resize(FRAME, Image.BILINEAR)))
    return out

def variant(im:Image.Image, rot=0, scale=1., mirror=False, gray=False)->Image.Image:
    if rot: im = im.rotate(rot, resample=Image.BILINEAR, expand=True)
    if scale != 1: im = im.resize((round(im.width * scale), round(im.height * scale)), Image.BILINEAR)
    if mirror: im = ImageOps.mirror(im)
    return im.convert('L').convert('RGB') if gray else im

def moved(eyes, size0, size, rot=0, scale=1., mirror=False, gray=False)->np.ndarray:
    "Where `eyes` (2, 2) of the unchanged picture (size0) land in its `variant` (size), image-left eye first."
    a = math.radians(rot); R = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    p = (np.asarray(eyes, float) - np.array(size0) / 2) @ R * (1 if rot else np.array(size) / size0) + np.array(size) / 2
    if mirror: p[:, 0] = size[0] - p[:, 0]; p = p[::-1]
    return p

def pictures(work:Path, read=rgb)->tuple:
    "The photos and the astronaut's variants as uint8 arrays; made here (and written to `work`) if scikit-image and matplotlib import, else read from `work`."
    d = work/'pictures'
    try:
        import skimage.data, matplotlib.cbook
        photos = {'astronaut': Image.fromarray(skimage.data.astronaut()).convert('RGB'),
                  'grace_hopper': Image.fromarray(read(matplotlib.cbook.get_sample_data('grace_hopper.jpg', asfileobj=False)))}
        var = {k: variant(photos['astronaut'], **v) for k, v in VARIANTS.items()}
        d.mkdir(parents=True, exist_ok=True)
        for i, (k, im) in enumerate([*photos.items(), *var.items()]): im.save(d/f'{i:02d}.png')
    except ImportError as e:
        if not (d/'00.png').exists(): sys.exit(f"{e.name} is not importable here and {d} holds no pictures: run the dlib stage with the same --work first")
        print(f"pictures read from {d} ({e.name} is not importable here)")
        ims = [Image.open(d/f'{i:02d}.png').convert('RGB') for i in range(len(PHOTOS) + len(VARIANTS))]
        photos, var = dict(zip(PHOTOS, ims)), dict(zip(VARIANTS, ims[len(PHOTOS):]))
    return {k: np.asarray(v) for k, v in photos.items()}, {k: np.asarray(v) for k, v in var.items()}

def measure(key, f, load_s, label, package, faces, photos, variants, work:Path, runs=5)->dict:
    "Time `f` (uint8 picture → its face's points (5, 2), NaN where it has none, or None) on everything; its eyes go to `work`."
    ms, eyes = [], []
    for img in faces:
        t = time.perf_counter(); p = f(img); ms.append(1e3 * (time.perf_counter() - t)); eyes.append(None if p is None else p[:2])
    photo_ms = {}
    for name, img in photos.items():
        ts = []
        for _ in range(runs): t = time.perf_counter(); p = f(img); ts.append(1e3 * (time.perf_counter() - t))
        photo_ms[name] = round(statistics.median(ts), 2)
        if name == 'astronaut': ref = None if p is None else p[:2]
    var = {}
    for name, img in variants.items():
        p = f(img); err = None
        if p is not None and ref is not None:
            err = round(float(np.linalg.norm(p[:2] - moved(ref, photos['astronaut'].shape[1::-1], img.shape[1::-1], **VARIANTS[name]), axis=1).mean()), 2)
        var[name] = dict(found=p is not None, eye_err_px=err)
    (work/f'eyes_{key}.json').write_text(json.dumps([None if e is None else np.round(e, 3).tolist() for e in eyes]))
    found = sum(e is not None for e in eyes)
    print(f"{key}: load {load_s:.2f} s, CelebA {found}/{len(faces)} found, {statistics.median(ms):.1f} ms; photos {photo_ms}; "
          f"variants found {sum(v['found'] for v in var.values())}/{len(var)}", flush=True)
    return dict(label=label, package=package, offline=True, load_s=round(load_s, 3), celeba_n=len(faces), celeba_found=found,
                celeba_ms=round(statistics.median(ms), 2), photo_ms=photo_ms, variants=var, eye_diff_px=None)

def machine()->dict:
    info = Path('/proc/cpuinfo').read_text() if Path('/proc/cpuinfo').exists() else ''
    cpu = next((l.split(':', 1)[1].strip() for l in info.splitlines() if l.startswith('model name')), 'unknown')
    bf16 = any('avx512_bf16' in l.split() for l in info.splitlines() if l.startswith('flags'))
    return dict(cpu=f"{cpu}, {os.cpu_count()} cores", flags=f"avx512_bf16 {'present' if bf16 else 'absent'}",
                threads=len(os.sched_getaffinity(0)))

def save(out:Path, work:Path, detectors:dict={}, unusable:dict={}):
    "Merge into `out`, then fill in each detector's eye difference from vae_faces where both left their eyes in `work`."
    r = json.loads(out.read_text()) if out.exists() else {}
    r['machine'] = machine(); r.setdefault('detectors', {}).update(detectors); r.setdefault('unusable', {}).update(unusable)
    ref = work/'eyes_vae_faces.json'
    ref = json.loads(ref.read_text()) if ref.exists() else None
    for key, d in r['detectors'].items():
        if key == 'vae_faces': d['eye_diff_px'] = 0.0; continue
        if ref is None or not (p := work/f'eyes_{key}.json').exists(): continue
        dist = [np.linalg.norm(np.subtract(a, b), axis=1).mean() for a, b in zip(json.loads(p.read_text()), ref) if a and b]
        d['eye_diff_px'] = round(float(np.mean(dist)), 2) if dist else None
    out.parent.mkdir(parents=True, exist_ok=True); out.write_text(json.dumps(r, indent=1, ensure_ascii=False) + '\n')
    missing = [k for k, d in r['detectors'].items() if d['eye_diff_px'] is None]
    if missing: print(f"no eye difference yet for {', '.join(missing)}: run the other stage with the same --work")
    print(f"wrote {out}")

# ---------------------------------------------------------------- dlib (the project's .venv)
def dlib_stage(a):
    from vae_faces import __version__ as vf_version
    from vae_faces.align import find_faces, dlib_models, models_dir, read_photo
    t = time.perf_counter(); import dlib; t_import = time.perf_counter() - t
    pkg = f"dlib {dlib.__version__} + face_recognition_models {version('face_recognition_models')}"
    t = time.perf_counter(); dlib_models(); load_vf = t_import + time.perf_counter() - t
    def project(img):
        fs = find_faces(img)
        return max(fs, key=lambda f: f.width).points if fs else None
    landmarks = str(models_dir()/'shape_predictor_68_face_landmarks.dat')
    def five(sp, img, rect):
        p = np.array([[q.x, q.y] for q in sp(img, rect).parts()], np.float64) + 0.5
        return np.stack([p[36:42].mean(0), p[42:48].mean(0), p[30], p[48], p[54]])
    t = time.perf_counter(); hog, sp_hog = dlib.get_frontal_face_detector(), dlib.shape_predictor(landmarks); load_hog = t_import + time.perf_counter() - t
    def hog_up1(img):
        rects, scores, _ = hog.run(img, 1, 0.)
        return five(sp_hog, img, rects[int(np.argmax(scores))]) if len(rects) else None
    t = time.perf_counter()
    cnn, sp_cnn = dlib.cnn_face_detection_model_v1(str(models_dir()/'mmod_human_face_detector.dat')), dlib.shape_predictor(landmarks)
    load_cnn = t_import + time.perf_counter() - t
    def cnn_up0(img):
        ds = cnn(img, 0)
        return five(sp_cnn, img, max(ds, key=lambda d: d.confidence).rect) if len(ds) else None
    faces = celeba(a.celeba, max(a.n, a.n_cnn), read_photo)
    photos, variants = pictures(a.work, read_photo)
    m = lambda *args, n=a.n: measure(*args, faces[:n], photos, variants, a.work)
    res = {'vae_faces': m('vae_faces', project, load_vf, "vae_faces.align.find_faces: dlib HOG (upsample 0, then 1 if none found in a picture ≤400 px), "
                          "68-point landmarks; the widest face", f"vae_faces {vf_version} + {pkg}"),
           'dlib_hog_up1': m('dlib_hog_up1', hog_up1, load_hog, "dlib HOG, upsample 1, + 68-point landmarks; the best-scoring face", pkg),
           'dlib_cnn': m('dlib_cnn', cnn_up0, load_cnn, "dlib CNN (mmod_human_face_detector), upsample 0, + 68-point landmarks; the most confident face",
                         pkg, n=a.n_cnn)}
    save(a.out, a.work, res)

# ---------------------------------------------------------------- MediaPipe (its own environment; no vae_faces, no torch)
def unusable_reason(mp)->str:
    models = [p.name for p in Path(mp.__file__).parent.rglob('*') if p.suffix in ('.tflite', '.task')]
    why = f"no mediapipe.solutions (the legacy face_detection / face_mesh); the wheel holds {len(models)} .tflite/.task model files"
    try:
        from mediapipe.tasks.python import vision
        vision.FaceDetector.create_from_model_path('blaze_face_short_range.tflite')
    except Exception as e:
        why += f"; the tasks API needs a .task/.tflite downloaded separately (FaceDetector without one: {type(e).__name__}: {str(e).strip()})"
    return why + ": not usable offline"

def mediapipe_stage(a):
    t = time.perf_counter(); import mediapipe as mp; t_import = time.perf_counter() - t
    pkg = f"mediapipe {mp.__version__}"
    if not hasattr(mp, 'solutions'):
        why = unusable_reason(mp); print(f"{pkg}: {why}")
        return save(a.out, a.work, unusable={pkg: why})
    t = time.perf_counter(); fd = mp.solutions.face_detection.FaceDetection(model_selection=0, min_detection_confidence=0.5); load_fd = t_import + time.perf_counter() - t
    def face_detector(img):
        h, w = img.shape[:2]; ds = fd.process(img).detections
        if not ds: return None
        k = max(ds, key=lambda d: d.score[0]).location_data.relative_keypoints   # right eye, left eye, nose tip, mouth centre, ears
        return np.array([[k[0].x * w, k[0].y * h], [k[1].x * w, k[1].y * h], [k[2].x * w, k[2].y * h], [np.nan] * 2, [np.nan] * 2])
    t = time.perf_counter()
    fm = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=True, min_detection_confidence=0.5)
    load_fm = t_import + time.perf_counter() - t
    def facemesh(img):
        h, w = img.shape[:2]; r = fm.process(img).multi_face_landmarks
        if not r: return None
        p = np.array([[q.x * w, q.y * h] for q in r[0].landmark])
        return np.stack([p[EYES_A].mean(0), p[EYES_B].mean(0), p[1], p[61], p[291]])
    faces = celeba(a.celeba, a.n)
    photos, variants = pictures(a.work)
    res = {'mp_face_detector': measure('mp_face_detector', face_detector, load_fd, "MediaPipe face detection, short range (BlazeFace): "
                                       "eyes and nose tip, no mouth corners; the best-scoring face", pkg, faces, photos, variants, a.work),
           'mp_facemesh': measure('mp_facemesh', facemesh, load_fm, "MediaPipe FaceMesh (static, refined, one face): eye centres = means of "
                                  "the eye contours, nose tip 1, mouth corners 61/291", pkg, faces, photos, variants, a.work)}
    save(a.out, a.work, res)

# ---------------------------------------------------------------- report
def report(a):
    r = json.loads(a.out.read_text()); m = r['machine']
    fmt = lambda v, d=1: '–' if v is None else f'{v:.{d}f}'
    print(f"{m['cpu']}, {m['flags']}, {m['threads']} thread{'s' * (m['threads'] > 1)}\n")
    print('| detector | package | load s | CelebA found | ms / CelebA picture | ms astronaut / grace_hopper | variants found | '
          'eye error on variants, median (max) px | eye distance from vae_faces, px |\n|---|---|---|---|---|---|---|---|---|')
    for k, d in r['detectors'].items():
        v = d['variants']; errs = [x['eye_err_px'] for x in v.values() if x['eye_err_px'] is not None]
        print(f"| {k} | {d['package']} | {d['load_s']:.2f} | {d['celeba_found']}/{d['celeba_n']} | {d['celeba_ms']:.1f} | "
              f"{d['photo_ms']['astronaut']:.1f} / {d['photo_ms']['grace_hopper']:.1f} | {sum(x['found'] for x in v.values())}/{len(v)} | "
              f"{fmt(statistics.median(errs) if errs else None)} ({fmt(max(errs) if errs else None)}) | {fmt(d['eye_diff_px'], 2)} |")
    print('\nEye error (px) on each variant of the astronaut; **no**: no face found.\n')
    print('| variant | ' + ' | '.join(r['detectors']) + ' |\n|---|' + '---|' * len(r['detectors']))
    for name in VARIANTS:
        cells = [(fmt(x['eye_err_px']) if x['found'] else '**no**') if (x := d['variants'].get(name)) else '–' for d in r['detectors'].values()]
        print(f'| {name} | ' + ' | '.join(cells) + ' |')
    if r.get('unusable'): print('\nNot usable:\n\n' + '\n'.join(f'- {k}: {v}' for k, v in r['unusable'].items()))

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('stage', choices=['dlib', 'mediapipe', 'report'])
    p.add_argument('--celeba', type=Path, help='a CelebA folder holding img_align_celeba/')
    p.add_argument('--n', type=int, default=500, help='CelebA pictures per detector')
    p.add_argument('--n-cnn', type=int, default=100, help="CelebA pictures for dlib's CNN")
    p.add_argument('--work', type=Path, default=Path(tempfile.gettempdir())/'detector_bench', help='scratch folder the stages share')
    p.add_argument('--out', type=Path, default=OUT)
    a = p.parse_args()
    if a.stage != 'report' and not a.celeba: p.error('--celeba is needed')
    a.work.mkdir(parents=True, exist_ok=True)
    {'dlib': dlib_stage, 'mediapipe': mediapipe_stage, 'report': report}[a.stage](a)
