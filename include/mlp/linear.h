/**
 * @file mlp/linear.h
 * @brief libmlp: the tutorial's linear model: errors, gradient descent, least squares.
 *
 * A part of <mlp.h>, which includes every part in order: include <mlp.h>, not
 * this file.
 */
#ifndef MLP_H_LINEAR
#define MLP_H_LINEAR

/**
 * @defgroup libmlp_errors Error and mean squared error
 * The tutorial's error and loss of predictions against targets.
 * @{
 */

/**
 * Error of each prediction: err[i] = pred[i] - target[i], as in the tutorial.
 * @param[out] err     n values; may alias pred.
 * @param[in]  pred    n predictions.
 * @param[in]  target  n targets.
 * @param      n       > 0.
 * @return ::MLP_OK or ::MLP_ERR_INVALID_ARG (NULL, n == 0).
 */
MLP_API mlp_status mlp_loss_error(double *err, const double *pred, const double *target,
                                  size_t n);

/**
 * Mean squared error over n values: (1/n) Σ (pred[i] - target[i])². For an
 * (rows, outputs) matrix pass n = rows * outputs: the value equals
 * scikit-learn's mean_squared_error (multioutput='uniform_average').
 * @param[out] mse     receives the mean.
 * @param[in]  pred    n predictions.
 * @param[in]  target  n targets.
 * @param      n       > 0.
 * @return ::MLP_OK or ::MLP_ERR_INVALID_ARG (NULL, n == 0).
 */
MLP_API mlp_status mlp_loss_mse(double *mse, const double *pred, const double *target, size_t n);

/** @} */

/**
 * @defgroup libmlp_linear Gradient descent on a linear model
 * The tutorial's chapter 2: predictions, slopes and weight updates of a linear
 * model without intercept.
 * @{
 */

/**
 * Predictions of a linear model without intercept: pred = X · w (one cblas_dgemv).
 * @param[out] pred  n values.
 * @param[in]  x     (n, d) row-major.
 * @param[in]  w     d weights.
 * @param      n     rows, 1 to INT_MAX.
 * @param      d     columns, 1 to INT_MAX.
 * @return ::MLP_OK or ::MLP_ERR_INVALID_ARG (NULL, zero or too large sizes).
 */
MLP_API mlp_status mlp_linear_predict(double *pred, const double *x, const double *w, size_t n,
                                      size_t d);

/**
 * Slope of the mean squared error with respect to the weights:
 * slope = (2 / n) · Xᵀ · err, which for one row is the tutorial's
 * `2 * input_data * error` and for many rows its mean over rows.
 * @param[out] slope  d values.
 * @param[in]  x      (n, d) row-major.
 * @param[in]  err    n errors, pred - target (see mlp_loss_error()).
 * @param      n      rows, 1 to INT_MAX.
 * @param      d      columns, 1 to INT_MAX.
 * @return ::MLP_OK or ::MLP_ERR_INVALID_ARG (NULL, zero or too large sizes).
 */
MLP_API mlp_status mlp_linear_slope(double *slope, const double *x, const double *err, size_t n,
                                    size_t d);

/**
 * One update: w = w - learning_rate * slope.
 * @param[in,out] w              d weights.
 * @param[in]     slope          d values.
 * @param         d              > 0.
 * @param         learning_rate  finite.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, d == 0, learning_rate not finite),
 *         ::MLP_ERR_NUMERIC (a new weight would not be finite; w is unchanged).
 */
MLP_API mlp_status mlp_linear_update(double *w, const double *slope, size_t d,
                                     double learning_rate);

/**
 * Many updates in a row: n_updates times compute the error of X · w against
 * `target`, its slope and the update; after each update, the mean squared error
 * of the updated weights goes to mse_history[k].
 * @param[in,out] w              d weights, updated in place.
 * @param[out]    mse_history    n_updates values, or NULL.
 * @param[in]     x              (n, d) row-major.
 * @param[in]     target         n values.
 * @param         n              rows, 1 to INT_MAX.
 * @param         d              columns, 1 to INT_MAX.
 * @param         learning_rate  finite.
 * @param         n_updates      > 0.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_NOMEM, or ::MLP_ERR_NUMERIC when
 *         the loss stops being finite (w then holds the last weights whose loss was
 *         finite, and mse_history the values up to there).
 */
MLP_API mlp_status mlp_linear_descend(double *w, double *mse_history, const double *x,
                                      const double *target, size_t n, size_t d,
                                      double learning_rate, size_t n_updates);

/** @} */

/**
 * @defgroup libmlp_linreg Least squares
 * The exact answer gradient descent on a linear model should reach.
 * @{
 */

/**
 * Ordinary least squares through LAPACKE_dgels: minimizes
 * Σ_i (y_i - x_i · coef - intercept)², or without intercept when `intercept` is NULL.
 * @param[out] coef       d values.
 * @param[out] intercept  may be NULL to fit without an intercept.
 * @param[in]  x          (n, d) row-major.
 * @param[in]  y          n values.
 * @param      n          rows: at least d (+1 with an intercept).
 * @param      d          columns, > 0.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_SHAPE (too few rows), ::MLP_ERR_NOMEM,
 *         ::MLP_ERR_NUMERIC (NaN in the data, or X is rank-deficient: the reciprocal
 *         condition number of its R factor is below (columns) * DBL_EPSILON).
 */
MLP_API mlp_status mlp_linreg(double *coef, double *intercept, const double *x, const double *y,
                              size_t n, size_t d);

/** @} */

#endif /* MLP_H_LINEAR */
