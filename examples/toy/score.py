"""A pure-Python trial whose score is a known function of the architecture (no TensorFlow):
for trying `nas-annotate search` in seconds.

    nas-annotate search examples/toy/score.py --sampler tpe --trials 40

Each cell picks an operator; each operator adds its own amount, and each skip input adds or
takes away.  The best architecture scores 11.0: every cell `best`, cells 2 and 3 fed `good_skip`.
"""

GAIN = {"worst": 0.0, "poor": 0.6, "fair": 1.2, "good": 1.8, "best": 2.5}


def op(name):
    def apply(inputs):
        return GAIN[name] + sum(inputs[1])

    return apply


worst, poor, fair, good, best = (op(name) for name in GAIN)
good_skip, bad_skip = 0.5, -0.5


def main():
    """@nni.mutable_layer
    {layer_choice: [worst, poor, fair, good, best], layer_output: cell1}
    {layer_choice: [worst, poor, fair, good, best], input_candidates: [good_skip, bad_skip],
     input_num: [0, 1], layer_output: cell2}
    {layer_choice: [worst, poor, fair, good, best], input_candidates: [bad_skip, good_skip],
     input_num: [1, 1], layer_output: cell3}
    {layer_choice: [worst, poor, fair, good, best], layer_output: cell4}"""
    score = cell1 + cell2 + cell3 + cell4
    print(f"score: {score:.2f}")
    """@nni.report_final_result(score)"""
    return score


if __name__ == "__main__":
    main()
