"""lime_widget quickstart for marimo: `marimo edit notebooks/quickstart_marimo.py` (or `marimo run`)."""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # lime_widget quickstart: why did the model say "Egyptian cat"?

    LIME explains one prediction of an image classifier. It splits the photo into **superpixels** (small
    regions of similar colour), hides random subsets of them, asks the model to score every perturbed
    image, and fits a small **linear model** (the *surrogate*) that predicts the class score from which
    superpixels are visible. Each superpixel's weight in that linear model is its contribution to the
    score.

    This notebook uses the embedded ImageNet model (EfficientNet-Lite0, works offline) and a bundled photo.
    """)
    return


@app.cell
def _():
    import os

    import marimo as mo

    import lime_widget as lw

    model = lw.load_model()  # embedded EfficientNet-Lite0, no download
    image = lw.sample_image("chelsea")  # scikit-image's cat photo
    # 1000 samples is the recommended value; set LIME_NUM_SAMPLES for a quicker run.
    NUM_SAMPLES = int(os.environ.get("LIME_NUM_SAMPLES", "1000"))
    return NUM_SAMPLES, image, lw, mo, model


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Explore interactively

    `lw.explore` computes the explanation and returns the widget; `mo.ui.anywidget` puts it in the page.

    * The heatmap shows each superpixel's weight for the selected class: **blue** pushes the score up,
      **red** pushes it down. Hover a superpixel to see its id and weight.
    * **Click** a superpixel to hide it. The model is re-scored on that masked image; the panel shows the
      score now, the original score, the change, and what the linear surrogate predicted for the same mask.
    * Try *hide top-k*, *keep top-k*, *invert*, *undo* and the class selector.
    """)
    return


@app.cell
def _(NUM_SAMPLES, image, lw, mo, model):
    explorer = lw.explore(image, model, num_samples=NUM_SAMPLES, random_state=0, progress=False)
    view = mo.ui.anywidget(explorer)
    view
    return explorer, view


@app.cell
def _(explorer, mo, view):
    # Reads `view.value`, so marimo re-runs this cell whenever a click changes the mask.
    _hidden = [i for i, v in enumerate(view.value["visible"]) if not v]
    _exp = explorer.explanation
    _label = explorer.selected_label
    mo.md(
        f"Hidden superpixels: {_hidden or 'none'}; the surrogate predicts "
        f"p({_exp.class_names[_label]}) = {_exp.surrogate_prediction(view.value['visible'], _label):.3f} "
        "for this mask (the widget shows the model's own score)."
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Static figure and export

    `exp.figure()` draws the heatmap with a colour bar; `exp.to_json()` saves everything (weights,
    superpixels, seed, versions) so the explanation can be reloaded with `lw.Explanation.from_json`.
    """)
    return


@app.cell
def _(explorer):
    exp = explorer.explanation
    print(exp.summary())
    exp.figure()
    return


if __name__ == "__main__":
    app.run()
