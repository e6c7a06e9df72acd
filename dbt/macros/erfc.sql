{#-
  Complementary error function erfc(x), portable SQL (only abs, exp and arithmetic).
  Numerical Recipes `erfcc` (Chebyshev fit), fractional error below 1.2e-7 everywhere:
      z = |x|, t = 1 / (1 + z/2)
      erfc(x) = t * exp(-z^2 - 1.26551223 + t*(1.00002368 + ... )) for x >= 0,
                2 - that                                        for x < 0.
  Pass a column or a simple expression: it is repeated in the generated SQL.
-#}
{% macro erfc(x) -%}
    {%- set z = 'abs(' ~ x ~ ')' -%}
    {%- set t = '(1.0 / (1.0 + 0.5 * ' ~ z ~ '))' -%}
    {%- set coefficients = [1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807,
                            -1.13520398, 1.48851587, -0.82215223, 0.17087277] -%}
    {%- set ns = namespace(poly='0.17087277') -%}
    {%- for c in coefficients[:-1] | reverse -%}
        {%- set ns.poly = c ~ ' + ' ~ t ~ ' * (' ~ ns.poly ~ ')' -%}
    {%- endfor -%}
    (case
        when ({{ x }}) >= 0
        then {{ t }} * exp(-{{ z }} * {{ z }} - 1.26551223 + {{ t }} * ({{ ns.poly }}))
        else 2.0 - {{ t }} * exp(-{{ z }} * {{ z }} - 1.26551223 + {{ t }} * ({{ ns.poly }}))
    end)
{%- endmacro %}
